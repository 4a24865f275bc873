// Two fixtures at a time: most of a test's time is other processes starting, waiting on wine,
// qemu, npm or a registry, so a second one fills the gaps on a 2-core CI machine. Each test
// builds in a sandbox of its own; what shares one process's state (PATH, the console, apt's lock,
// timing-sensitive kill and concurrency tests) is [NonParallelizable].
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(2)]
