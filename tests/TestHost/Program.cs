// Services declared in code through Tend's public API (what the generator will emit), for process tests of
// ordering, one-shot tasks and critical services. The first argument picks the scenario; the rest go to Tend.
using Tend;

var scenario = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
ServiceSpec Sh(string name, string script) => new(name, new Command("/bin/sh", "-c", script));

ServiceSpec[] services = scenario switch
{
    // migrate (one-shot) → db → app → web; the dependents must start in order and stop in reverse.
    "ordering" =>
    [
        Sh("web", "exec sleep 1000") with { DependsOn = ["app"] },
        Sh("app", "exec sleep 1000") with { DependsOn = ["db"] },
        Sh("db", "exec sleep 1000") with { DependsOn = ["migrate"] },
        Sh("migrate", "sleep 0.3; exit 0") with { OneShot = true },
    ],
    // A critical service that keeps failing ends Tend with exit code 1 after stopping the rest.
    "critical" =>
    [
        Sh("db", "exit 4") with { Critical = true, Restart = Restart.OnFailure, StartLimit = 2, BackoffInitial = TimeSpan.FromMilliseconds(50) },
        Sh("web", "exec sleep 1000"),
    ],
    // Runs as nobody through setpriv; prints its ids.
    "user" => [Sh("whoami", "id -u; id -g") with { User = "nobody", OneShot = true }],
    "bad-user" => [Sh("whoami", "id -u") with { User = "no-such-user-here" }],
    _ => throw new ArgumentException($"unknown scenario '{scenario}': ordering, critical, user or bad-user"),
};
return TendHost.Run(rest, services);
