using System.Text;
using Tend.Arguments;

namespace Tend.Export;

/// <summary>The arguments of <c>tend export</c> itself, once the binder took the declared options.</summary>
/// <param name="Format">Compose or Kubernetes.</param>
/// <param name="Image">IMAGE[:TAG], as given.</param>
/// <param name="Layout">For Kubernetes: one pod, or a pod per service.</param>
/// <param name="AppName">The application's name (<c>--name</c>, else the image's).</param>
/// <param name="CommandLines">Ad-hoc command lines given along, which are not exported.</param>
/// <param name="Help"><c>--help</c> was given.</param>
internal sealed record ExportRequest(ExportFormat Format, string Image, KubernetesLayout Layout, string AppName,
    IReadOnlyList<string> CommandLines, bool Help)
{
    /// <summary>For Compose: Docker Compose, or <c>docker stack deploy</c> (<c>--target swarm</c>).</summary>
    public ComposeTarget Target { get; init; }

    /// <summary>For Kubernetes: <c>--read-only</c>, a read-only root filesystem with a writable <c>/run</c> and <c>/tmp</c>.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>For Kubernetes: <c>--run-as-user UID</c>, the user id every container runs as (not root), or null.</summary>
    public long? RunAsUser { get; init; }

    /// <summary>
    /// For Kubernetes' pod layout: <c>--no-sidecars</c>, every long-running service a regular container, its dependents
    /// waiting for it with <c>tend wait-for</c> (Kubernetes before 1.29, and <c>podman kube play</c>).
    /// </summary>
    public bool NoSidecars { get; init; }

    /// <summary>For Kubernetes: <c>--drain-delay D</c>, carried to each long-running service's container (see
    /// <see cref="Supervision.Drain"/>), or
    /// null.</summary>
    public TimeSpan? DrainDelay { get; init; }

    /// <summary>For Kubernetes: <c>--http PORT</c>, the port of each container's HTTP endpoint (probes become httpGet on it), or
    /// null.</summary>
    public int? HttpPort { get; init; }

    /// <summary>For Kubernetes: <c>--requests</c> and <c>--limits</c>, in the order given.</summary>
    public IReadOnlyList<(bool Limit, ResourceSetting Setting)> Resources { get; init; } = [];

    /// <summary>The export's own command, for the file's header.</summary>
    public string Describe() =>
        $"tend export {(Format == ExportFormat.Compose ? "compose" : "kubernetes")} --image {Image}" +
        (Format == ExportFormat.Kubernetes ? $" --layout {Layout.ToString().ToLowerInvariant()}{(NoSidecars ? " --no-sidecars" : "")}"
            : Target == ComposeTarget.Swarm ? " --target swarm" : "");

    /// <summary>The flags of <c>tend export</c> itself (the declared services' options come on top).</summary>
    public static readonly FlagSpec[] Flags =
    [
        FlagSpec.Valued("--image", "IMAGE[:TAG]", "the image every service's container runs"),
        FlagSpec.Valued("--target", "compose|swarm", "for compose: docker compose (default), or docker stack deploy"),
        FlagSpec.Valued("--layout", "pod|split", "for kubernetes: one pod with every service (default), or a deployment per service"),
        FlagSpec.Switch("--no-sidecars", "for kubernetes' pod layout: no native sidecars (before 1.29, podman kube play)"),
        FlagSpec.Valued("--name", "NAME", "the application's name (default: the image's)"),
        FlagSpec.Valued("--drain-delay", "DURATION", "for kubernetes: at SIGTERM, stay up not ready this long before stopping"),
        FlagSpec.Valued("--http", "PORT", "for kubernetes: each container's Tend serves /healthz on PORT (the pod layout: PORT, PORT+1… " +
            "per container) and the probes that asked Tend become httpGet (default: the declared [assembly: HttpEndpoint]'s port, else " +
                "exec)"),
        FlagSpec.Switch("--read-only", "for kubernetes: a read-only root filesystem, with /run and /tmp in memory"),
        FlagSpec.Valued("--run-as-user", "UID", "for kubernetes: the user id the pods run as (not root)"),
        FlagSpec.Valued("--requests", "[SERVICE:]cpu=Q,memory=Q", "for kubernetes: resource requests (repeatable)", repeatable: true),
        FlagSpec.Valued("--limits", "[SERVICE:]cpu=Q,memory=Q", "for kubernetes: resource limits (repeatable)", repeatable: true),
        FlagSpec.Switch("--help", "show this help"),
    ];

    /// <summary>Parses <c>export FORMAT --image IMAGE …</c> (what the binder left).</summary>
    /// <exception cref="UsageException">A missing or unknown format, no image, a bad name or layout, or an option export does not
    /// take.</exception>
    public static ExportRequest Parse(IReadOnlyList<string> rest, IReadOnlyList<string> declaredFlags)
    {
        const string usage = "tend export compose|kubernetes --image IMAGE[:TAG]";
        ExportFormat? format = null;
        string? image = null, name = null;
        KubernetesLayout? layout = null;
        ComposeTarget? target = null;
        var readOnly = false;
        var noSidecars = false;
        TimeSpan? drain = null;
        int? http = null;
        long? user = null;
        var resources = new List<(bool, ResourceSetting)>();
        var kubernetesOnly = new List<string>();
        var help = false;
        var lines = new List<string>();
        // Flags of Tend's own are named as such; any other unknown flag is suggested among export's and the declared ones.
        bool Unknown(string flag, string? inline) => throw new UsageException(HostOptions.Options.Any(o => o.Name == flag)
            ? $"option '{flag}' is Tend's own, and export carries only the declared services' options: leave it out (give it to the " +
                $"containers instead)"
            : HostOptions.UnknownOption(flag, declaredFlags.Concat(Flags.Select(f => f.Name))));
        var reader = new ArgumentReader(rest, Flags, start: 1);
        while (reader.Next(out var known, out var value, Unknown))
        {
            switch (known?.Name)
            {
                case null when format is null:
                    format = value switch
                    {
                        "compose" => ExportFormat.Compose,
                        "kubernetes" or "k8s" => ExportFormat.Kubernetes,
                        "swarm" =>
                            throw new UsageException("export got 'swarm': expected compose or kubernetes (for Docker Swarm: export " +
                                "compose --target swarm)"),
                        _ => throw new UsageException($"export got '{value}': expected compose or kubernetes ({usage})"),
                    };
                    break;
                case null:
                    lines.Add(value);
                    break;
                case "--image":
                    image = value;
                    if (image.Length == 0
                        || image.Any(char.IsWhiteSpace))
                        throw new UsageException($"option '--image' got '{image}': expected an image reference such as " +
                            $"registry.example/app:1.0");
                    break;
                case "--name":
                    name = value;
                    if (!IsDnsLabel(name))
                        throw new UsageException($"option '--name' got '{name}': expected lower-case letters, digits and '-', starting " +
                            $"with a letter, at most 40 characters");
                    break;
                case "--layout":
                    layout = value switch
                    {
                        "pod" => KubernetesLayout.Pod,
                        "split" => KubernetesLayout.Split,
                        _ => throw new UsageException($"option '--layout' got '{value}': expected pod or split"),
                    };
                    break;
                case "--target":
                    target = value switch
                    {
                        "compose" => ComposeTarget.Compose,
                        "swarm" => ComposeTarget.Swarm,
                        _ => throw new UsageException($"option '--target' got '{value}': expected compose or swarm"),
                    };
                    break;
                case "--read-only":
                    readOnly = value == "true";
                    kubernetesOnly.Add(known.Name);
                    break;
                case "--no-sidecars":
                    noSidecars = value == "true";
                    kubernetesOnly.Add(known.Name);
                    break;
                case "--drain-delay":
                    if (!Duration.TryParse(value, out var delay) || delay <= TimeSpan.Zero)
                        throw new UsageException($"option '--drain-delay' got '{value}': expected {Duration.Expected}, more than zero, " +
                            $"such as 5s");
                    drain = delay;
                    kubernetesOnly.Add(known.Name);
                    break;
                case "--http":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                        out var port) || port is < 1 or > 65535)
                        throw new UsageException($"option '--http' got '{value}': expected the port each container's HTTP endpoint " +
                            $"listens on, from 1 to 65535, such as 9100");
                    http = port;
                    kubernetesOnly.Add(known.Name);
                    break;
                case "--run-as-user":
                    if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                        out var uid) || uid is < 1 or > int.MaxValue)
                        throw new UsageException($"option '--run-as-user' got '{value}': expected a numeric user id other than 0 (root), " +
                            $"such as 1000");
                    user = uid;
                    kubernetesOnly.Add(known.Name);
                    break;
                case "--requests" or "--limits":
                    resources.Add((known.Name == "--limits", ResourceSetting.Parse(known.Name, value)));
                    kubernetesOnly.Add(known.Name);
                    break;
                case "--help":
                    help = value == "true";
                    break;
                default:
                    throw new InvalidOperationException($"ExportRequest.Flags has a row '{known.Name}' that Parse does not handle");
            }
        }
        lines.AddRange(reader.AfterDashes);
        if (help) return new ExportRequest(ExportFormat.Compose, "", KubernetesLayout.Pod, "", lines, true);
        if (format is null) throw new UsageException($"export needs a format: {usage}");
        if (image is null) throw new UsageException($"export needs the image every service runs: {usage}, e.g. --image myimage:1.0");
        if (layout is not null && format != ExportFormat.Kubernetes) throw new UsageException("option '--layout' is for " +
            "export kubernetes: leave it out");
        if (kubernetesOnly.Count > 0
            && format !=
            ExportFormat.Kubernetes) throw new UsageException($"option '{kubernetesOnly[0]}' is for export kubernetes: leave it out");
        if (target is not null
            && format != ExportFormat.Compose) throw new UsageException("option '--target' is for export compose: leave it out");
        if (noSidecars
            && layout ==
            KubernetesLayout.Split)
            throw new UsageException("option '--no-sidecars' is for --layout pod (the split layout has none): leave it out");
        return new ExportRequest(format.Value, image, layout ?? KubernetesLayout.Pod, name ?? AppNameOf(image), lines, false)
        {
            Target = target ?? ComposeTarget.Compose,
            ReadOnly = readOnly,
            NoSidecars = noSidecars,
            DrainDelay = drain,
            HttpPort = http,
            RunAsUser = user,
            Resources = resources,
        };
    }

    /// <summary>The image's repository name as a DNS label: <c>registry.example:5000/team/web-app:1.0</c> gives <c>web-app</c>.</summary>
    public static string AppNameOf(string image)
    {
        var path = image.Split('@')[0];
        var last = path[(path.LastIndexOf('/') + 1)..];
        var colon = last.IndexOf(':');
        if (colon >= 0) last = last[..colon];
        var sb = new StringBuilder();
        foreach (var c in last.ToLowerInvariant())
            sb.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '-');
        var name = sb.ToString().Trim('-');
        if (name.Length > 40) name = name[..40].TrimEnd('-');
        return name.Length > 0 && char.IsAsciiLetterLower(name[0]) ? name : "app" + (name.Length > 0 ? "-" + name : "");
    }

    private static bool IsDnsLabel(string s) =>
        s.Length is > 0 and <= 40 && char.IsAsciiLetterLower(s[0]) && s[^1] != '-' && s.All(c => char.IsAsciiLetterLower(c)
            || char.IsAsciiDigit(c) || c == '-');
}
