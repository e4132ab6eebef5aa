using Tend.Supervision;

namespace Tend.Tests.House;

/// <summary>
/// The state names <c>tend status</c> writes are a protocol: spelled out in <see cref="ServiceStatus.States"/>, never
/// taken from <see cref="ServicePhase"/>'s member names, so renaming a member cannot change what clients read.
/// </summary>
[Trait("Category", "Unit")]
public class WireNamesTests
{
    [Fact]
    public void The_state_names_are_pinned()
    {
        Assert.Equal(
            ["waiting", "starting", "running", "cleaning", "backoff", "stopping", "stopped", "failed", "completed", "scheduled"],
            ServiceStatus.States);
    }

    [Fact]
    public void Every_phase_has_a_listed_wire_name_and_no_two_share_one()
    {
        var names = Enum.GetValues<ServicePhase>().Select(ServiceStatus.StateName).ToList();
        Assert.All(names, n => Assert.Contains(n, ServiceStatus.States));
        Assert.Equal(names.Count, names.Distinct().Count());
        // Every listed name is written: each phase's, and "starting" (running, not ready yet).
        Assert.Equal(ServiceStatus.States.Order(), names.Append("starting").Order());
    }
}
