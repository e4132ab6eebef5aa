using System.Diagnostics;

/// <summary>
/// What keeping each service's recent output costs Tend (issue 27): its PSS with N services, the log rings off
/// (<c>--log-buffer 0</c>: the services write straight to Tend's stdout), on but quiet (the services printed nothing),
/// and full (each service wrote 1 MB of 100-byte lines, so every ring holds its size): at the default 64 KiB and at
/// Pebble's 100 KB. The ring memory per service is the difference with the rings off, divided by N.
/// </summary>
internal static class LogRingBench
{
    public sealed record Row(string Measure, double PssMiB);

    public static List<Row> Run(string tend, int n, Action<string> progress)
    {
        var rows = new List<Row>();
        foreach (var (label, buffer, bytes) in new[]
        {
            ("log buffers off (--log-buffer 0), quiet services", "0", 0),
            ("log buffers on (64 KiB each), quiet services", "64KiB", 0),
            ("log buffers off (--log-buffer 0), each service wrote 1 MB", "0", 1_000_000),
            ("log buffers off, relayed (--log-prefix --log-buffer 0), each service wrote 1 MB", "0 --log-prefix", 1_000_000),
            ("log buffers of 64 KiB (the default), each service wrote 1 MB (rings full)", "64KiB", 1_000_000),
            ("log buffers of 100 KiB (Pebble's size), each service wrote 1 MB (rings full)", "100KiB", 1_000_000),
        })
        {
            progress($"measuring tend's PSS at N={n}: {label}…");
            // Each service writes its share of 100-byte lines, then waits (sleep stays a child of the same run).
            var script = bytes == 0 ? "exec sleep 100000"
                : $"yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head " +
                    $"-c {bytes}; exec sleep 100000";
            string[] command = [tend, "--no-adopt", "--keep-run", "--no-control", "--log-buffer", .. buffer.Split(' '),
                "--", .. Enumerable.Range(0, n).Select(_ => $"sh -c '{script}'")];
            var started = 0;
            using var ns = Ns.Start(command, line => { if (line.Contains("started (pid",
                StringComparison.Ordinal)) Interlocked.Increment(ref started); });
            var sw = Stopwatch.StartNew();
            while (Volatile.Read(ref started) < n || ns.Tree().Count(t => t.Comm == "sleep") < n)
            {
                if (sw.Elapsed > TimeSpan.FromSeconds(60))
                    throw new TimeoutException($"the {n} services did not all write and settle within 60 s");
                Thread.Sleep(50);
            }
            Thread.Sleep(3000); // the relay wrote the rest, the trim after start-up is done
            rows.Add(new Row($"own memory, PSS at N={n}, {label}", Proc.PssKiB(ns.Pid) / 1024.0));
        }
        return rows;
    }
}
