using System.Net;
using System.Runtime.InteropServices;

namespace Tend.Export;

/// <summary>
/// Name resolution through libc's <c>getaddrinfo</c> (what <c>/etc/hosts</c>, DNS and a Kubernetes Service's name
/// need), for <c>tend wait-for</c>: .NET's <c>Dns</c> would bring its resolver, telemetry and async socket engine into
/// the supervisor's binary (~130 KB) for one client verb.
/// </summary>
internal static unsafe partial class HostNames
{
    private const int AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct AddrInfo
    {
        public int Flags;
        public int Family;
        public int SockType;
        public int Protocol;
        public uint AddrLen;
        public byte* Addr;
        public byte* CanonName;
        public AddrInfo* Next;
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int getaddrinfo(string node, string? service, AddrInfo* hints, AddrInfo** result);

    [LibraryImport("libc.so.6")]
    private static partial void freeaddrinfo(AddrInfo* result);

    /// <summary>The addresses of <paramref name="host"/> (an IP address is itself); none when it does not resolve (yet).</summary>
    public static List<IPAddress> Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var literal)) return [literal];
        var hints = new AddrInfo { SockType = SOCK_STREAM };
        AddrInfo* result = null;
        var list = new List<IPAddress>();
        if (getaddrinfo(host, null, &hints, &result) != 0) return list;
        try
        {
            for (var ai = result; ai is not null; ai = ai->Next)
            {
                if (ai->Family == AF_INET && ai->AddrLen >= 8) list.Add(new IPAddress(new ReadOnlySpan<byte>(ai->Addr + 4, 4)));
                else if (ai->Family == AF_INET6 && ai->AddrLen >= 28) list.Add(new IPAddress(new ReadOnlySpan<byte>(ai->Addr + 8, 16),
                    *(uint*)(ai->Addr + 24)));
            }
        }
        finally { freeaddrinfo(result); }
        return [.. list.Distinct()];
    }
}
