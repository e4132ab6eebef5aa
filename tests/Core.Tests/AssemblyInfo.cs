// The process tests start real supervisors, services and PID namespaces on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
