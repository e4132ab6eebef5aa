using System.Runtime.InteropServices;
using System.Text;

// aot-floor PROGRAM: execs PROGRAM at the top of Main, so exec(aot-floor) → exec(PROGRAM) is the .NET runtime's
// own start and nothing else. No System.Console: it would add its own start-up work to the image.
if (args.Length != 1) return Fail("usage: aot-floor PROGRAM\n", 2);
unsafe
{
    var path = Marshal.StringToHGlobalAnsi(args[0]);
    var argv = stackalloc nint[2];
    argv[0] = path;
    argv[1] = 0;
    execv(path, argv);
}
return Fail($"aot-floor: cannot exec {args[0]} (errno {Marshal.GetLastPInvokeError()})\n", 127);

static int Fail(string message, int code)
{
    var bytes = Encoding.UTF8.GetBytes(message);
    write(2, bytes, bytes.Length);
    return code;
}

[DllImport("libc.so.6", SetLastError = true)]
static extern unsafe int execv(nint path, nint* argv);

[DllImport("libc.so.6")]
static extern nint write(int fd, byte[] buffer, nint count);
