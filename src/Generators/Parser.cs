using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Tend.Generators.Model;

namespace Tend.Generators;

/// <summary>A diagnostic as plain values (cacheable), turned into a real Diagnostic when reported.</summary>
public sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Args)
{
    /// <summary>
    /// A real diagnostic at a real source location (found again in <paramref name="compilation"/> by path), so
    /// the IDE squiggles the right text; models themselves never hold a Location.
    /// </summary>
    public Diagnostic ToDiagnostic(Compilation compilation)
    {
        var descriptor = DiagnosticDescriptors.All.First(d => d.Id == Id);
        var tree = Location is null ? null : compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == Location.Path);
        var location = tree is not null ? Microsoft.CodeAnalysis.Location.Create(tree, Location!.Span) : Location?.ToLocation();
        return Diagnostic.Create(descriptor, location, Args.ToArray<object>());
    }

    public static DiagnosticInfo Create(DiagnosticDescriptor d, Location? location, params string[] args) =>
        new(d.Id, LocationInfo.From(location), new EquatableArray<string>(args));
}

/// <summary>What the transform gives for one [Service] declaration.</summary>
public sealed record ParseResult(ServiceModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>Symbols → plain models, with a diagnostic for everything that can be checked in one declaration.</summary>
internal static class Parser
{
    public const string ServiceAttribute = "Tend.ServiceAttribute";
    private const string OptionAttribute = "Tend.OptionAttribute";
    private const string CommandType = "Tend.Command";
    private const string ReadinessType = "Tend.Readiness";
    private static readonly Regex ValidName = new("^[a-z][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant);

    public static ParseResult Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        var diags = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)ctx.TargetSymbol;
        var attr = ctx.Attributes[0];
        var attrLocation = attr.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation();
        var identifier = ctx.TargetNode is BaseTypeDeclarationSyntax t ? t.Identifier.GetLocation() : ctx.TargetNode.GetLocation();
        ParseResult Fail() => new(null, new EquatableArray<DiagnosticInfo>(diags));

        if (type.TypeKind != TypeKind.Class || type.IsRecord)
        {
            var kind = type.IsRecord ? (type.TypeKind == TypeKind.Struct ? "a record struct" : "a record")
                : type.TypeKind == TypeKind.Struct ? "a struct" : type.TypeKind == TypeKind.Interface ? "an interface" : "a " + type.TypeKind.ToString().ToLowerInvariant();
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, identifier, kind, type.Name));
            return Fail();
        }
        if (ctx.TargetNode is ClassDeclarationSyntax cls && !cls.Modifiers.Any(SyntaxKind.PartialKeyword))
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, identifier, type.Name));
        if (type.TypeParameters.Length > 0)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericOrNested, identifier, type.Name, "must not be generic: Tend creates it with its options, and cannot choose type arguments; remove the type parameters"));
        var containing = new List<string>();
        for (var c = type.ContainingType; c is not null; c = c.ContainingType)
        {
            var partial = c.DeclaringSyntaxReferences.Any(r => r.GetSyntax(ct) is TypeDeclarationSyntax s && s.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial || c.TypeParameters.Length > 0 || c.TypeKind != TypeKind.Class)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericOrNested, identifier, type.Name,
                    $"is nested in '{c.Name}', which is not a non-generic partial class: make '{c.Name}' partial, or move '{type.Name}' out of it"));
                break;
            }
            containing.Insert(0, c.Name);
        }

        var name = attr.ConstructorArguments.Length > 0 ? attr.ConstructorArguments[0].Value as string ?? "" : "";
        if (!ValidName.IsMatch(name)) diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, ArgumentLocation(attrLocation, 0) ?? attrLocation, name));

        // Command: an instance property of type Tend.Command with a getter.
        var command = type.GetMembers("Command").FirstOrDefault();
        string? commandProblem = command switch
        {
            null => "has no Command property",
            IPropertySymbol p when p.IsStatic => "has a static Command property; it must be an instance property",
            IPropertySymbol p when p.Type.ToDisplayString() != CommandType => $"has a Command property of type '{p.Type.ToDisplayString()}', not Tend.Command",
            IPropertySymbol p when p.GetMethod is null => "has a Command property without a getter",
            IPropertySymbol => null,
            _ => "has a member named Command that is not a property",
        };
        if (commandProblem is not null)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadCommand, command?.Locations.FirstOrDefault() ?? identifier, type.Name, commandProblem));

        // Ready: optional, an instance property of type Tend.Readiness (nullable allowed) with a getter.
        var ready = type.GetMembers("Ready").FirstOrDefault();
        string? readyProblem = ready switch
        {
            null => null,
            IPropertySymbol p when p.IsStatic => "has a static Ready property; it must be an instance property",
            IPropertySymbol p when p.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString() != ReadinessType => $"has a Ready property of type '{p.Type.ToDisplayString()}', not Tend.Readiness",
            IPropertySymbol p when p.GetMethod is null => "has a Ready property without a getter",
            IPropertySymbol => null,
            _ => "has a member named Ready that is not a property",
        };
        if (readyProblem is not null)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadReady, ready?.Locations.FirstOrDefault() ?? identifier, type.Name, readyProblem));

        // Settings.
        var named = attr.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
        long Ms(string key, string fallback)
        {
            var text = named.TryGetValue(key, out var v) ? v.Value as string ?? "" : fallback;
            if (Duration.TryParse(text, out var d)) return (long)d.TotalMilliseconds;
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, NamedLocation(attrLocation, key) ?? attrLocation, key, text, "expected " + Duration.Expected));
            return 0;
        }
        var stopTimeout = Ms("StopTimeout", "5s");
        var cleanupTimeout = Ms("CleanupTimeout", "100ms");
        var backoff = Ms("Backoff", "100ms");
        var backoffMax = Ms("BackoffMax", "30s");
        var minUptime = Ms("MinUptime", "1s");
        var startWindow = Ms("StartWindow", "10s");
        var startLimit = named.TryGetValue("StartLimit", out var sl) && sl.Value is int l ? l : 5;
        if (startLimit < 1)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, NamedLocation(attrLocation, "StartLimit") ?? attrLocation, "StartLimit", startLimit.ToString(), "it must be at least 1"));
        if (backoffMax < backoff && backoffMax > 0)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, NamedLocation(attrLocation, "BackoffMax") ?? attrLocation, "BackoffMax", Duration.Format(TimeSpan.FromMilliseconds(backoffMax)), "it must not be less than Backoff"));
        var signalText = named.TryGetValue("StopSignal", out var ss) ? ss.Value as string ?? "" : "SIGTERM";
        if (!Signals.TryParse(signalText, out var stopSignal))
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, NamedLocation(attrLocation, "StopSignal") ?? attrLocation, "StopSignal", signalText, "expected " + Signals.Expected));

        var deps = new List<string>();
        if (named.TryGetValue("DependsOn", out var dependsOn) && !dependsOn.IsNull)
        {
            foreach (var item in dependsOn.Values)
            {
                if (item.Value is not INamedTypeSymbol dep) continue;
                if (!dep.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ServiceAttribute))
                    diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownDependency, NamedLocation(attrLocation, "DependsOn") ?? attrLocation, type.Name, dep.ToDisplayString()));
                else deps.Add(dep.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
            }
        }

        // Options.
        var options = new List<OptionModel>();
        var flags = new Dictionary<string, string>();
        foreach (var member in type.GetMembers())
        {
            ct.ThrowIfCancellationRequested();
            var optionAttr = member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == OptionAttribute);
            if (optionAttr is null || member is not IPropertySymbol prop) continue;
            var location = prop.Locations.FirstOrDefault();
            if (prop.SetMethod is null || prop.IsStatic)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OptionNotSettable, location, prop.Name));
                continue;
            }
            var optionName = optionAttr.ConstructorArguments.Length > 0 && optionAttr.ConstructorArguments[0].Value is string n ? n : Kebab(prop.Name);
            if (!ValidName.IsMatch(optionName))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, location, optionName));
                continue;
            }
            if (prop.Type.TypeKind == TypeKind.Error) continue; // the compiler reports the unknown type itself
            if (Classify(prop.Type) is not { } kind)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedOptionType, location, prop.Name, prop.Type.ToDisplayString()));
                continue;
            }
            var flag = $"--{name}-{optionName}";
            var env = $"TEND_{name}_{optionName}".Replace('-', '_').ToUpperInvariant();
            if (flags.TryGetValue(flag, out var other))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OptionClash, location, prop.Name, flag, other));
                continue;
            }
            flags[flag] = prop.Name;
            var underlying = prop.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nt ? nt.TypeArguments[0] : prop.Type;
            var members = kind.Kind == OptionKind.Enum
                ? underlying.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name)
                : Enumerable.Empty<string>();
            options.Add(new OptionModel(prop.Name, flag, env, kind.Kind, prop.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), kind.Nullable,
                new EquatableArray<string>(members), Summary(prop, ct)));
        }

        if (diags.Count > 0) return Fail();
        var ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        var model = new ServiceModel(ns, new EquatableArray<string>(containing), type.Name, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), name,
            named.TryGetValue("Restart", out var r) && r.Value is int restart ? restart : 0,
            named.TryGetValue("KillMode", out var km) && km.Value is int killMode ? killMode : 0,
            new EquatableArray<string>(deps),
            named.TryGetValue("OneShot", out var os) && os.Value is true,
            named.TryGetValue("Critical", out var cr) && cr.Value is true,
            named.TryGetValue("Daemonizes", out var dz) && dz.Value is true,
            stopSignal, stopTimeout, cleanupTimeout, backoff, backoffMax, minUptime, startLimit, startWindow,
            named.TryGetValue("MatchName", out var mn) ? mn.Value as string : null,
            named.TryGetValue("WorkingDirectory", out var wd) ? wd.Value as string : null,
            named.TryGetValue("User", out var us) ? us.Value as string : null,
            ready is not null,
            new EquatableArray<OptionModel>(options), Summary(type, ct), LocationInfo.From(attrLocation));
        if (named.TryGetValue("Stdin", out var si) && si.Value is true) model = model with { Stdin = true };
        return new ParseResult(model, default);
    }

    private static (OptionKind Kind, bool Nullable)? Classify(ITypeSymbol type)
    {
        var nullable = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n)
        {
            type = n.TypeArguments[0];
            nullable = true;
        }
        if (type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String, Rank: 1 } && !nullable) return (OptionKind.StringArray, false);
        if (type.TypeKind == TypeKind.Enum) return (OptionKind.Enum, nullable);
        return type.SpecialType switch
        {
            SpecialType.System_String => (OptionKind.String, type.NullableAnnotation == NullableAnnotation.Annotated),
            SpecialType.System_Boolean => (OptionKind.Boolean, nullable),
            SpecialType.System_Int32 => (OptionKind.Int32, nullable),
            SpecialType.System_Int64 => (OptionKind.Int64, nullable),
            SpecialType.System_Double => (OptionKind.Double, nullable),
            _ when type.ToDisplayString() == "System.TimeSpan" => (OptionKind.TimeSpan, nullable),
            _ => null,
        };
    }

    /// <summary><c>MaxConnections</c> → <c>max-connections</c>, <c>SSHPort</c> → <c>ssh-port</c>.</summary>
    public static string Kebab(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString().Replace('_', '-');
    }

    /// <summary>
    /// The text of the &lt;summary&gt; doc comment, read from the syntax: without GenerateDocumentationFile the
    /// compiler keeps doc comments as plain <c>///</c> comment trivia, so both forms are read as text.
    /// </summary>
    private static string? Summary(ISymbol symbol, CancellationToken ct)
    {
        var syntax = symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct);
        if (syntax is null) return null;
        var text = new StringBuilder();
        foreach (var trivia in syntax.GetLeadingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia))
                text.Append(trivia.ToFullString().Replace("///", " "));
            else if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) && trivia.ToString().StartsWith("///", StringComparison.Ordinal))
                text.Append(' ').Append(trivia.ToString().Substring(3));
        }
        var match = Regex.Match(text.ToString(), @"<summary>(.*?)</summary>", RegexOptions.Singleline);
        if (!match.Success) return null;
        var inner = Regex.Replace(match.Groups[1].Value, @"<(see|paramref|typeparamref)\s+\w+=""([^""]*)""\s*/>", "$2");
        inner = Regex.Replace(inner, @"<[^>]+>", "");
        inner = inner.Replace("&lt;", "<").Replace("&gt;", ">").Replace("&amp;", "&");
        var collapsed = Regex.Replace(inner, @"\s+", " ").Trim();
        return collapsed.Length == 0 ? null : collapsed;
    }

    private static Location? NamedLocation(Location? attribute, string name)
    {
        if (attribute?.SourceTree is not { } tree) return null;
        var node = tree.GetRoot().FindNode(attribute.SourceSpan) as AttributeSyntax ?? tree.GetRoot().FindNode(attribute.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>();
        var arg = node?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == name);
        return arg?.Expression.GetLocation();
    }

    private static Location? ArgumentLocation(Location? attribute, int index)
    {
        if (attribute?.SourceTree is not { } tree) return null;
        var node = tree.GetRoot().FindNode(attribute.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>();
        var args = node?.ArgumentList?.Arguments.Where(a => a.NameEquals is null).ToList();
        return args is not null && args.Count > index ? args[index].Expression.GetLocation() : null;
    }
}
