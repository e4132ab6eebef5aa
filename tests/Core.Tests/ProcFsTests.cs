using Tend.Posix;

namespace Tend.Tests;

[Trait("Category", "Unit")]
public class ProcFsTests
{
    [Fact]
    public void Parses_stat_with_a_comm_holding_spaces_and_parentheses()
    {
        var line =
            "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 " +
                "0 0 0";
        Assert.True(ProcFs.TryParseStat(line, out var st));
        Assert.Equal(4242, st.Pid);
        Assert.Equal("we (ird) name", st.Comm);
        Assert.Equal('S', st.State);
        Assert.Equal(1, st.Ppid);
        Assert.Equal(4242, st.Pgid);
        Assert.Equal(987654UL, st.StartTime);
    }

    [Fact]
    public void Parses_the_bytes_of_stat_like_the_text_with_session_and_start_time()
    {
        var line =
            "4242 (we (ird) name) S 1 4242 4243 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 " +
                "0 0 0";
        Assert.True(ProcFs.TryParseStat(System.Text.Encoding.UTF8.GetBytes(line), out var fromBytes));
        Assert.True(ProcFs.TryParseStat(line, out var fromText));
        Assert.Equal(fromText, fromBytes);
        Assert.Equal(4243, fromBytes.Sid);
        Assert.False(ProcFs.TryParseStat("4242 (x) S 1 2"u8, out _));
    }

    [Fact]
    public void Reads_this_process()
    {
        Assert.True(ProcFs.TryReadStat(Environment.ProcessId, out var st));
        Assert.Equal(Environment.ProcessId, st.Pid);
        Assert.True(st.StartTime > 0);
        Assert.False(ProcFs.TryReadStat(int.MaxValue, out _));
    }
}
