// Two fixtures at a time: most of a test's time is other processes starting, waiting on wine,
// qemu, npm or a registry, so a second one fills the gaps on a 2-core CI machine. Each test
// builds in a sandbox of its own; what shares one process's state (PATH, the console, apt's lock,
// timing-sensitive kill and concurrency tests) is [NonParallelizable].
// The longest start first ([Order] on OnboardingTests, WorkflowTests, PlatformsTests,
// NodeSeaPackageTests and on their longest tests), so that no long test starts late and runs
// alone at the end while a core idles.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(2)]
