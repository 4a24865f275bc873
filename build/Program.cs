using Btm.Build.Host;

return BuildHost.Run(args);
