using System.Diagnostics;

/// <summary>
/// The dummy service: a tiny static C program that waits for signals. <c>dummy MARKDIR</c> creates MARKDIR/&lt;its
/// name&gt; when SIGTERM reaches it (so the suite can count services stopped by SIGTERM rather than SIGKILL) and
/// exits; <c>dummy MARKDIR ignore</c> ignores SIGTERM. Built with the machine's C compiler.
/// </summary>
internal static class Dummy
{
    private const string Source = """
        #include <fcntl.h>
        #include <signal.h>
        #include <string.h>
        #include <unistd.h>
        static char mark[4096];
        static void on_term(int sig) { (void)sig; int fd = open(mark, O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd); _exit(0); }
        int main(int argc, char **argv) {
            const char *name = strrchr(argv[0], '/'); name = name ? name + 1 : argv[0];
            if (argc > 1 && strlen(argv[1]) + strlen(name) + 2 < sizeof mark) { strcpy(mark, argv[1]); strcat(mark, "/"); strcat(mark, name); }
            if (argc > 2 && strcmp(argv[2], "ignore") == 0) signal(SIGTERM, SIG_IGN);
            else if (argc > 1) signal(SIGTERM, on_term);
            for (;;) pause();
        }
        """;

    public static string Build(string dir) => CompileC(dir, "dummy", Source, "the dummy service");

    /// <summary>Compiles <paramref name="source"/> to DIR/NAME with the machine's C compiler, statically when it can.</summary>
    /// <exception cref="InvalidOperationException">No C compiler, or the source does not compile.</exception>
    public static string CompileC(string dir, string name, string source, string what)
    {
        var c = Path.Combine(dir, name + ".c");
        var exe = Path.Combine(dir, name);
        File.WriteAllText(c, source);
        foreach (var flags in new[] { "-O2 -static", "-O2" })
        {
            var psi = new ProcessStartInfo("cc") { RedirectStandardError = true };
            foreach (var a in flags.Split(' ').Concat(["-o", exe, c])) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode == 0) return exe;
        }
        throw new InvalidOperationException($"cannot build {what}: install gcc (apt-get install gcc libc6-dev)");
    }
}
