namespace WebWorker;

/// <summary>The API: counts the jobs the worker reports.</summary>
public static class WebApp
{
    public static int Run(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var app = builder.Build();
        var jobs = 0;
        app.MapGet("/", () => $"WebWorker API: {Volatile.Read(ref jobs)} jobs so far\n");
        app.MapPost("/jobs", () => $"accepted job {Interlocked.Increment(ref jobs)}");
        // Tend's readiness and liveness checks (and, exported, the kubelet's probes) ask these.
        app.MapGet("/ready", () => "ready\n");
        app.MapGet("/healthz", () => "ok\n");
        app.Run();
        return 0;
    }
}
