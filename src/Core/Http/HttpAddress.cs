using System.Globalization;
using System.Net;

namespace Tend.Http;

/// <summary>
/// Where the HTTP endpoint listens: <c>ADDRESS:PORT</c> (<c>127.0.0.1:9100</c>, <c>0.0.0.0:9100</c>, <c>[::]:9100</c>). An
/// address is required, so the endpoint listens only where told; port 0 lets the kernel choose (tests). Shared as source
/// with the generator, which checks a declared address at compile time (TEND0xx).
/// </summary>
internal sealed class HttpAddress
{
    private HttpAddress(IPAddress address, int port)
    {
        Address = address;
        Port = port;
    }

    /// <summary>The address to bind.</summary>
    public IPAddress Address { get; }

    /// <summary>The TCP port (0: one the kernel chooses).</summary>
    public int Port { get; }

    /// <summary>What a value must look like, for error messages.</summary>
    public const string Expected = "ADDRESS:PORT, such as 127.0.0.1:9100, 0.0.0.0:9100 (every IPv4 address) or [::]:9100";

    private static readonly char[] Colon = [':'], Percent = ['%'];

    /// <summary>Parses <c>ADDRESS:PORT</c>; null with <paramref name="problem"/> saying what is wrong.</summary>
    public static HttpAddress? Parse(string text, out string? problem)
    {
        problem = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            problem = $"'{text}' is not an address and port: expected {Expected}";
            return null;
        }
        var host = text.Substring(0, colon);
        var portText = text.Substring(colon + 1);
        var bracketed = host.Length >= 2 && host[0] == '[' && host[host.Length - 1] == ']';
        if (bracketed) host = host.Substring(1, host.Length - 2);
        if (!IPAddress.TryParse(host, out var address) || (!bracketed && host.IndexOfAny(Colon) >= 0) || host.IndexOfAny(Percent) >= 0 ||
            (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Split('.').Length != 4))
        {
            problem = $"'{host}' in '{text}' is not an IP address: expected {Expected} (a host name is not resolved)";
            return null;
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = $"'{portText}' in '{text}' is not a port: expected a number from 0 to 65535";
            return null;
        }
        return new HttpAddress(address, port);
    }

    /// <summary><c>127.0.0.1:9100</c>, <c>[::]:9100</c>.</summary>
    public override string ToString() => Format(Port);

    /// <summary>The address with <paramref name="port"/> (the port actually bound).</summary>
    public string Format(int port) =>
        (Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + Address + "]"
            : Address.ToString()) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
