using System.Globalization;
using Tend;

namespace WebWorker;

/// <summary>A small HTTP API (ASP.NET Core, NativeAOT).</summary>
[Service("web", StopTimeout = "5s")]
public partial class Web
{
    /// <summary>Port the API listens on.</summary>
    [Option] public int Port { get; init; } = 8080;

    public Command Command => new(Environment.ProcessPath!, "web", "--urls",
        $"http://0.0.0.0:{Port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Ready once the API answers <c>GET /ready</c>: the worker starts only then.</summary>
    public Readiness Ready => Readiness.Http(Port, "/ready");

    /// <summary>Alive while the API answers <c>GET /healthz</c>: a hung API is restarted (exported as a livenessProbe).</summary>
    public Liveness Alive => Liveness.Http(Port, "/healthz");
}

/// <summary>Every five minutes, one line: how many jobs the API counted (a scheduled task: a CronJob on Kubernetes).</summary>
[Service("report", Schedule = "*/5 * * * *", DependsOn = [typeof(Web)])]
public partial class Report
{
    /// <summary>The API's address.</summary>
    [Option] public string Api { get; init; } = "http://127.0.0.1:8080";

    public Command Command => new(Environment.ProcessPath!, "report", Api);

    /// <summary>One run: GET the API's count and print it.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            Console.WriteLine($"report: {(await http.GetStringAsync(args.Length > 0 ? args[0] : "http://127.0.0.1:8080")).TrimEnd()}");
            return 0;
        }
        catch (HttpRequestException e)
        {
            Console.WriteLine($"report: the API is not answering ({e.Message})");
            return 1;
        }
    }
}

/// <summary>A background worker that calls the API; it starts once the API is ready (answers <c>GET /ready</c>).</summary>
[Service("worker", DependsOn = [typeof(Web)], StopTimeout = "3s")]
public partial class Worker
{
    /// <summary>The API's address.</summary>
    [Option] public string Api { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Time between two calls.</summary>
    [Option] public TimeSpan Every { get; init; } = TimeSpan.FromSeconds(2);

    public Command Command => new(Environment.ProcessPath!, "worker",
        Api, ((long)Every.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));

    /// <summary>The worker's loop: call the API, log the answer, until SIGTERM.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var api = args.Length > 0 ? args[0] : "http://127.0.0.1:8080";
        var every = TimeSpan.FromMilliseconds(args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 2000);
        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
            c => { c.Cancel = true; stop.Cancel(); });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var count = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var body = await http.PostAsync($"{api}/jobs", null, stop.Token);
                Console.WriteLine($"worker: job {++count}: {await body.Content.ReadAsStringAsync(stop.Token)}");
            }
            catch (HttpRequestException e) { Console.WriteLine($"worker: the API is not answering yet ({e.Message})"); }
            catch (OperationCanceledException) { break; }
            try { await Task.Delay(every, stop.Token); } catch (OperationCanceledException) { break; }
        }
        Console.WriteLine($"worker: stopped after {count} jobs");
        return 0;
    }
}
