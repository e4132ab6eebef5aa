namespace Tend;

/// <summary>
/// Turns on Tend's read-only HTTP endpoint (<c>/healthz</c>, <c>/healthz/NAME</c>, <c>/metrics</c>) for this program,
/// as <c>--http ADDRESS:PORT</c> would: <c>[assembly: Tend.HttpEndpoint("0.0.0.0:9100")]</c>. The generator checks the
/// address at compile time (TEND028); <c>--http</c> on the command line overrides it and <c>--no-http</c> turns it off.
/// <c>tend export kubernetes</c> then probes each container over HTTP on its port.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class HttpEndpointAttribute(string address) : Attribute
{
    /// <summary>Where to listen: <c>ADDRESS:PORT</c>, such as <c>0.0.0.0:9100</c> (every IPv4 address) or <c>127.0.0.1:9100</c>.</summary>
    public string Address { get; } = address;
}
