using System.Collections.Immutable;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>A fake clock and a fake process table around the pure reconciler, stepping it like the supervisor does.</summary>
internal sealed class FakeSupervisor
{
    private int _nextPid = 100;
    public ServiceTable Table { get; }
    public DesiredState Desired { get; set; }
    public ImmutableArray<ServiceRuntime> Runtimes { get; private set; }
    public long Now { get; private set; } = 1_000_000;
    public List<string> Actions { get; } = [];
    public int? ExitCode { get; private set; }
    public long? WakeAt { get; private set; }

    /// <summary>The fake wall clock scheduled tasks read (null: one that follows <see cref="Now"/>); <see cref="Advance"/> moves it too,
    /// <see cref="Jump"/> alone.</summary>
    public DateTimeOffset? Wall { get; set; }

    public FakeSupervisor(params ServiceSpec[] specs)
    {
        Table = new ServiceTable(specs);
        Desired = DesiredState.AllUp(specs.Length);
        Runtimes = Enumerable.Repeat(new ServiceRuntime(), specs.Length).ToImmutableArray();
    }

    public ServiceRuntime this[string name] => Runtimes[Table.IndexOf(name)];

    /// <summary>Plans and carries out actions until the plan is stable, as the real supervisor loop does.</summary>
    public FakeSupervisor Step()
    {
        for (var guard = 0; guard < 100; guard++)
        {
            var plan = Reconciler.Reconcile(Table, Desired, Runtimes, Now, Wall);
            Runtimes = plan.Next;
            WakeAt = plan.WakeAt;
            if (plan.ExitCode is { } code) { ExitCode = code; return this; }
            if (plan.ShutdownCode is { } s) { Desired = Desired with { ShuttingDown = true, ExitCode = s }; continue; }
            foreach (var a in plan.Actions)
            {
                var name = Table.Services[a.Service].Name;
                if (a.Kind == ActionKind.Start)
                {
                    var pid = _nextPid++;
                    Runtimes = Runtimes.SetItem(a.Service, Reconciler.OnStarted(Runtimes[a.Service], new TrackedProcess(pid, (ulong)Now,
                        pid, true, true), Now));
                    Actions.Add($"start {name}");
                }
                else if (a.Kind == ActionKind.ReadyCheck) Actions.Add($"check {name}");
                else if (a.Kind == ActionKind.AliveCheck) Actions.Add($"alive {name}");
                else Actions.Add($"signal {name} {Signals.Name(a.Signal)}");
            }
            if (!plan.PlanAgain && !(plan.WakeAt <= Now)) return this;
        }
        throw new InvalidOperationException("the reconciler did not settle");
    }

    public FakeSupervisor Exit(string name, ExitStatus status, bool groupAlive = false)
    {
        var i = Table.IndexOf(name);
        Runtimes = Runtimes.SetItem(i, Reconciler.OnExited(Table.Services[i], Runtimes[i], status, groupAlive, Now));
        return Step();
    }

    public FakeSupervisor Daemonized(int i, TrackedProcess daemon)
    {
        Runtimes = Runtimes.SetItem(i, Reconciler.OnIdentity(Runtimes[i], Runtimes[i].Run with { Main = daemon,
            Groups = RunIdentity.WithGroup(Runtimes[i].Groups, daemon.Pgid) }));
        return Step();
    }

    public FakeSupervisor GroupGone(string name)
    {
        var i = Table.IndexOf(name);
        Runtimes = Runtimes.SetItem(i, Reconciler.OnGroupGone(Runtimes[i]));
        return Step();
    }

    /// <summary>Replaces the runtime of service <paramref name="i"/> as the supervisor does after a spawn (or its failure).</summary>
    public FakeSupervisor Spawned(int i, Func<ServiceRuntime, ServiceRuntime> change)
    {
        Runtimes = Runtimes.SetItem(i, change(Runtimes[i]));
        return Step();
    }

    public FakeSupervisor Advance(long ms)
    {
        Now += ms;
        Wall = Wall?.AddMilliseconds(ms);
        return Step();
    }

    /// <summary>The wall clock is set (an NTP step, a suspend's catch-up) while the monotonic clock goes on.</summary>
    public FakeSupervisor Jump(TimeSpan by)
    {
        Wall = Wall!.Value + by;
        return Step();
    }

    /// <summary>Sleeps until the reconciler's wake-up, as the supervisor does, and plans again.</summary>
    public FakeSupervisor SleepUntilWake() => Advance(WakeAt!.Value - Now);

    /// <summary>What <c>tend run</c> changes: one run asked for.</summary>
    public FakeSupervisor RunNow(string name)
    {
        var i = Table.IndexOf(name);
        Runtimes = Runtimes.SetItem(i, ScheduleRules.OnRunRequested(Runtimes[i]));
        return Step();
    }

    public FakeSupervisor SpawnFailed(string name, string why)
    {
        var i = Table.IndexOf(name);
        Runtimes = Runtimes.SetItem(i, Reconciler.OnSpawnFailed(Table.Services[i], Runtimes[i], why, Now));
        return Step();
    }

    /// <summary>A liveness check of <paramref name="name"/>'s current run ended.</summary>
    public FakeSupervisor Alive(string name, bool passed, string? reason = null)
    {
        var i = Table.IndexOf(name);
        Runtimes = Runtimes.SetItem(i, Reconciler.OnAlive(Table.Services[i], Runtimes[i], passed, reason));
        return Step();
    }

    public FakeSupervisor Ready(string name)
    {
        var i = Table.IndexOf(name);
        Runtimes = Runtimes.SetItem(i, Reconciler.OnReady(Runtimes[i]));
        return Step();
    }

    /// <summary>What <c>tend stop</c> / <c>tend start</c> change: the desired state of one service.</summary>
    public FakeSupervisor SetUp(string name, bool up)
    {
        Desired = Desired with { Up = Desired.Up.SetItem(Table.IndexOf(name), up) };
        return Step();
    }

    public FakeSupervisor Shutdown()
    {
        Desired = Desired with { ShuttingDown = true };
        return Step();
    }

    public string TakeActions()
    {
        var s = string.Join("; ", Actions);
        Actions.Clear();
        return s;
    }
}
