using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Tend.Generators.Model;

namespace Tend.Generators;

/// <summary>
/// Symbols → a plain model and the site it was found at, with a diagnostic for everything that can be checked in
/// one declaration. Checks across services are in <see cref="Table"/>.
/// </summary>
internal static class Parser
{
    public const string ServiceAttribute = "Tend.ServiceAttribute";
    public const string HttpEndpointAttribute = "Tend.HttpEndpointAttribute";

    /// <summary>
    /// <c>[assembly: HttpEndpoint("ADDRESS:PORT")]</c>: the address when it is valid (the same parser as <c>--http</c>),
    /// else TEND028 on the attribute.
    /// </summary>
    public static (string? Address, EquatableArray<DiagnosticInfo> Diagnostics) ParseHttpEndpoint(GeneratorAttributeSyntaxContext ctx,
        CancellationToken ct)
    {
        var attr = ctx.Attributes[0];
        var text = attr.ConstructorArguments.Length == 1 ? attr.ConstructorArguments[0].Value as string : null;
        var problem = text is null ? "needs an address: write [assembly: Tend.HttpEndpoint(\"0.0.0.0:9100\")]"
            : Tend.Http.HttpAddress.Parse(text, out var why) is null ? why : null;
        if (problem is null) return (text, new EquatableArray<DiagnosticInfo>(Array.Empty<DiagnosticInfo>()));
        var location = attr.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation();
        return (null, new EquatableArray<DiagnosticInfo>(new[] { DiagnosticInfo.Create(DiagnosticDescriptors.BadHttpEndpoint, location,
            problem!) }));
    }
    private const string OptionAttribute = "Tend.OptionAttribute";
    private const string CommandType = "Tend.Command";
    private const string ReadinessType = "Tend.Readiness";
    private const string LivenessType = "Tend.Liveness";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        var diags = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)ctx.TargetSymbol;
        // The [Service] of this part of the class (with [Service] on two parts, the symbol has both).
        var attr = ctx.Attributes.FirstOrDefault(a => a.ApplicationSyntaxReference is { } r && r.SyntaxTree == ctx.TargetNode.SyntaxTree
            && ctx.TargetNode.Span.Contains(r.Span))
            ?? ctx.Attributes[0];
        var attrLocation = attr.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation();
        var identifier = ctx.TargetNode is BaseTypeDeclarationSyntax t ? t.Identifier.GetLocation() : ctx.TargetNode.GetLocation();
        ParseResult Fail() => new(null, null, new EquatableArray<DiagnosticInfo>(diags));

        if (type.TypeKind != TypeKind.Class || type.IsRecord)
        {
            var kind = type.IsRecord ? (type.TypeKind == TypeKind.Struct ? "a record struct" : "a record")
                : type.TypeKind == TypeKind.Struct ? "a struct" : type.TypeKind == TypeKind.Interface ? "an interface"
                    : "a " + type.TypeKind.ToString().ToLowerInvariant();
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, identifier, kind, type.Name));
            return Fail();
        }

        // [Service] on two parts of one partial class: the first part (in the symbol's order) is the service; each
        // other one gets a diagnostic and no model, so no two outputs share a hint name.
        var first = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == ServiceAttribute);
        if (first?.ApplicationSyntaxReference is { } primary && attr.ApplicationSyntaxReference is { } here
            && (primary.SyntaxTree != here.SyntaxTree || primary.Span != here.Span))
        {
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ServiceOnTwoParts, attrLocation, type.Name));
            return Fail();
        }

        if (ctx.TargetNode is ClassDeclarationSyntax cls && !cls.Modifiers.Any(SyntaxKind.PartialKeyword))
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, identifier, type.Name));
        if (type.TypeParameters.Length > 0)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericOrNested, identifier, type.Name,
                "must not be generic: Tend creates it with its options, and cannot choose type arguments; remove the type parameters"));
        var containing = new List<string>();
        for (var c = type.ContainingType; c is not null; c = c.ContainingType)
        {
            var partial = c.DeclaringSyntaxReferences.Any(r => r.GetSyntax(ct) is TypeDeclarationSyntax s
                && s.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial || c.TypeParameters.Length > 0 || c.TypeKind != TypeKind.Class)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericOrNested, identifier, type.Name,
                    $"is nested in '{c.Name}', which is not a non-generic partial class: make '{c.Name}' partial, or move '{type.Name}' " +
                        $"out of it"));
                break;
            }
            containing.Insert(0, Id(c.Name));
        }
        if (CreationProblem(type, ct) is { } creation)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CannotCreate, creation.Location ?? identifier, type.Name,
                creation.Problem));

        var name = attr.ConstructorArguments.Length > 0 ? attr.ConstructorArguments[0].Value as string ?? "" : "";
        if (!Names.IsValid(name)) diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, ArgumentLocation(attrLocation,
            0) ?? attrLocation, name));

        // Command: an instance property of type Tend.Command with a getter the binder can call, here or inherited.
        var command = MembersWithInherited(type).FirstOrDefault(m => m.Name == "Command");
        string? commandProblem = command switch
        {
            null => "has no Command property",
            IPropertySymbol p when p.IsStatic => "has a static Command property; it must be an instance property",
            IPropertySymbol p when p.Type.ToDisplayString() != CommandType =>
                $"has a Command property of type '{p.Type.ToDisplayString()}', not Tend.Command",
            IPropertySymbol p when p.GetMethod is null => "has a Command property without a getter",
            IPropertySymbol p when !Visible(p)
                || !Visible(p.GetMethod!) => $"has a {Accessibility(p.GetMethod!)} Command property; make it public",
            IPropertySymbol => null,
            _ => "has a member named Command that is not a property",
        };
        if (commandProblem is not null)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadCommand, SourceLocation(command) ?? identifier, type.Name,
                commandProblem));

        // Ready and Alive: optional, instance properties of type Tend.Readiness and Tend.Liveness (nullable allowed) with a visible getter.
        var ready = CheckMember(type, "Ready", ReadinessType, DiagnosticDescriptors.BadReady, identifier, diags);
        var alive = CheckMember(type, "Alive", LivenessType, DiagnosticDescriptors.BadAlive, identifier, diags);
        LogLinePatterns(type, ctx.SemanticModel.Compilation, diags, ct);

        var settings = Settings(attr, attrLocation, diags);

        // What the generator writes into the class itself: a member of the user's of the same name would be declared twice.
        foreach (var generatedMember in Emitter.GeneratedMembers)
            foreach (var own in type.GetMembers(generatedMember).Where(m => !m.IsImplicitlyDeclared))
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedMemberClash, SourceLocation(own) ?? identifier, type.Name,
                    generatedMember));
        // A base class's ServiceName, its own or the one generated for it (a service derived from a service), is hidden.
        var hidesServiceName = type.BaseType is { } baseType && (MembersWithInherited(baseType).Any(m => m.Name == "ServiceName")
            || Ancestors(baseType).Any(b => b.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ServiceAttribute)));

        var deps = new List<string>();
        var named = attr.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
        var schedule = named.TryGetValue("Schedule", out var sc) ? sc.Value as string : null;
        var oneShot = named.TryGetValue("OneShot", out var os) && os.Value is true;
        var daemonizes = named.TryGetValue("Daemonizes", out var dz) && dz.Value is true;
        if (schedule is not null && CronSyntax.Problem(schedule) is { } cronProblem)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadSchedule, NamedLocation(attrLocation, "Schedule") ?? attrLocation,
                schedule, cronProblem, CronSyntax.Expected));
        else if (schedule is not null && DeclarationRules.ScheduleConflict(oneShot, daemonizes, ready is not null) is { } conflict)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ScheduleConflict, NamedLocation(attrLocation, "Schedule") ?? attrLocation,
                DeclarationRules.ScheduleConflictMessage(name, conflict)));

        if (named.TryGetValue("DependsOn", out var dependsOn) && !dependsOn.IsNull)
        {
            foreach (var item in dependsOn.Values)
            {
                if (item.Value is not INamedTypeSymbol dep) continue;
                if (!dep.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ServiceAttribute))
                    diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownDependency, NamedLocation(attrLocation,
                        "DependsOn") ?? attrLocation, type.Name, dep.ToDisplayString()));
                else deps.Add(dep.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
            }
        }

        var (options, optionSites) = Options(type, name, ctx.SemanticModel.Compilation, diags, ct);

        if (diags.Count > 0) return Fail();
        var ns = type.ContainingNamespace.IsGlobalNamespace ? ""
            : type.ContainingNamespace.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        var fullName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var model = new ServiceModel(ns, new EquatableArray<string>(containing), Id(type.Name), fullName, name,
            new EquatableArray<string>(deps),
            oneShot,
            named.TryGetValue("Critical", out var cr) && cr.Value is true,
            daemonizes,
            new EquatableArray<SettingModel>(settings),
            ready is not null,
            type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared),
            new EquatableArray<OptionModel>(options), DocComments.Summary(type, ct), schedule, alive is not null);
        if (named.TryGetValue("Stdin", out var si) && si.Value is true) model = model with { Stdin = true };
        if (hidesServiceName) model = model with { HidesServiceName = true };
        return new ParseResult(model, new ServiceSite(fullName, LocationInfo.From(attrLocation),
            new EquatableArray<OptionSite>(optionSites)), default);
    }

    /// <summary>
    /// The optional check property <paramref name="member"/> (<c>Ready</c>, <c>Alive</c>): an instance property of type
    /// <paramref name="typeName"/> (nullable allowed) with a visible getter; anything else is <paramref name="descriptor"/>
    /// on the member. Returns the member, or null when there is none.
    /// </summary>
    private static ISymbol? CheckMember(INamedTypeSymbol type, string member, string typeName, DiagnosticDescriptor descriptor,
        Location identifier, List<DiagnosticInfo> diags)
    {
        var symbol = MembersWithInherited(type).FirstOrDefault(m => m.Name == member);
        string? problem = symbol switch
        {
            null => null,
            IPropertySymbol p when p.IsStatic => $"has a static {member} property; it must be an instance property",
            IPropertySymbol p when p.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString() != typeName =>
                $"has {Article(member)} {member} property of type '{p.Type.ToDisplayString()}', not {typeName}",
            IPropertySymbol p when p.GetMethod is null => $"has {Article(member)} {member} property without a getter",
            IPropertySymbol p when !Visible(p)
                || !Visible(p.GetMethod!) => $"has a {Accessibility(p.GetMethod!)} {member} property; make it public",
            IPropertySymbol => null,
            _ => $"has a member named {member} that is not a property",
        };
        if (problem is not null)
            diags.Add(DiagnosticInfo.Create(descriptor, SourceLocation(symbol) ?? identifier, type.Name, problem));
        return symbol;
    }

    /// <summary>
    /// Every <c>Readiness.LogLine("…")</c> in the class with a constant pattern: the pattern must be a regular expression
    /// the runtime's non-backtracking engine accepts (Check.PatternProblem at run time), else TEND027 on the pattern.
    /// </summary>
    private static void LogLinePatterns(INamedTypeSymbol type, Compilation compilation, List<DiagnosticInfo> diags, CancellationToken ct)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var node = reference.GetSyntax(ct);
            SemanticModel? model = null;
            foreach (var call in node.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (call.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "LogLine" }
                    || call.ArgumentList.Arguments.Count == 0) continue;
                model ??= compilation.GetSemanticModel(node.SyntaxTree);
                if (model.GetSymbolInfo(call,
                    ct).Symbol is not IMethodSymbol { ContainingType: { } owner } || owner.ToDisplayString() != ReadinessType) continue;
                var argument = call.ArgumentList.Arguments[0].Expression;
                if (model.GetConstantValue(argument, ct) is not { HasValue: true, Value: string pattern }) continue;
                if (RegexProblem(pattern) is { } problem)
                    diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadLogLinePattern, argument.GetLocation(), pattern, problem));
            }
        }
    }

    /// <summary>What the runtime would refuse in <paramref name="pattern"/> (RegexOptions.NonBacktracking, .NET 7 and later), or
    /// null.</summary>
    private static string? RegexProblem(string pattern)
    {
        if (pattern.Length == 0) return "it is empty";
        const RegexOptions NonBacktracking = (RegexOptions)1024; // not in netstandard2.0; the compiler's runtime has it
        try
        {
            _ = new Regex(pattern, NonBacktracking | RegexOptions.CultureInvariant);
            return null;
        }
        catch (ArgumentOutOfRangeException)
        {
            // A compiler on a runtime without the engine (.NET Framework): the syntax at least.
            try { _ = new Regex(pattern, RegexOptions.CultureInvariant); return null; }
            catch (ArgumentException e) { return e.Message; }
        }
        catch (ArgumentException e) { return e.Message; }
        catch (NotSupportedException e) { return e.Message; }
    }

    private static string Id(string name) => Names.Identifier(name);

    /// <summary>"a" or "an" before <paramref name="word"/> (by its first letter: "an Alive", "a Ready").</summary>
    private static string Article(string word) => word.Length > 0 && "AEIOUaeiou".IndexOf(word[0]) >= 0 ? "an" : "a";

    private static IEnumerable<INamedTypeSymbol> Ancestors(INamedTypeSymbol type)
    {
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType) yield return t;
    }

    /// <summary>The members of the class and of its base classes, the most derived first (object's are left out).</summary>
    private static IEnumerable<ISymbol> MembersWithInherited(INamedTypeSymbol type)
    {
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
            foreach (var m in t.GetMembers())
                yield return m;
    }

    /// <summary>Why Tend cannot write <c>new Service(…)</c> in the generated binder, or null.</summary>
    private static (string Problem, Location? Location)? CreationProblem(INamedTypeSymbol type, CancellationToken ct)
    {
        if (type.IsStatic) return ("is static: Tend creates an instance of it; remove 'static'", null);
        if (type.IsFileLocal)
            return ("is file-local ('file'): the generated TendApp, in a file of its own, cannot see it; make it internal or public", null);
        if (type.ContainingType is null && type.ContainingNamespace.IsGlobalNamespace && type.Name == "TendApp")
            return ("is named TendApp in the global namespace, the name of the class the generator makes: rename it, or put it in a " +
                "namespace", null);
        if (type.IsAbstract)
            return ("is abstract: Tend creates an instance of it; remove 'abstract', or put [Service] on a class derived from it", null);
        for (var c = type; c is not null; c = c.ContainingType)
            if (!Visible(c))
                return (c.Equals(type, SymbolEqualityComparer.Default)
                    ? $"is {Accessibility(c)}: the generated TendApp creates it; make it internal or public"
                    : $"is nested in '{c.Name}', which is {Accessibility(c)}: the generated TendApp creates it; make '{c.Name}' internal " +
                        $"or public", null);
        var declared = type.InstanceConstructors.Where(c => !c.IsImplicitlyDeclared).ToList();
        if (declared.Count > 0)
        {
            if (!declared.Any(c => c.Parameters.All(p => p.IsOptional || p.IsParams)))
                return ($"has a constructor with parameters and none without: Tend creates it with its options; add " +
                    $"'public {type.Name}() {{ }}' (options come in as [Option] properties)",
                    declared[0].Locations.FirstOrDefault(l => l.IsInSource));
            return null;
        }
        // No constructor of its own: the generated one calls the base class's parameterless constructor.
        if (type.BaseType is { } b && b.SpecialType != SpecialType.System_Object
            && !b.InstanceConstructors.Any(c => c.Parameters.All(p => p.IsOptional || p.IsParams)
                && c.DeclaredAccessibility is not Microsoft.CodeAnalysis.Accessibility.Private))
            return ($"derives from '{b.Name}', which has no parameterless constructor: add 'public {type.Name}() : base(…) {{ }}'", null);
        return null;
    }

    /// <summary>The settings the attribute gives, checked; a setting left out is not in the model (its default applies at run
    /// time).</summary>
    private static List<SettingModel> Settings(AttributeData attr, Location? attrLocation, List<DiagnosticInfo> diags)
    {
        var settings = new List<SettingModel>();
        var named = attr.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
        Location? At(string key) => NamedLocation(attrLocation, key) ?? attrLocation;

        long? Ms(string key, string property)
        {
            if (!named.TryGetValue(key, out var v)) return null;
            // A value of another type (StopTimeout = 5) is the compiler's error (CS0029): one error, not two.
            if (v.Kind == TypedConstantKind.Error || (!v.IsNull && v.Value is not string)) return null;
            var text = v.Value as string ?? "null";
            if (!Duration.TryParse(text, out var d))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At(key), key, text, "expected " + Duration.Expected));
                return null;
            }
            var ms = (long)d.TotalMilliseconds;
            settings.Add(new SettingModel(property, SettingKind.Milliseconds, ms.ToString(CultureInfo.InvariantCulture)));
            return ms;
        }
        Ms("StopTimeout", "StopTimeout");
        Ms("CleanupTimeout", "CleanupTimeout");
        var backoff = Ms("Backoff", "BackoffInitial");
        var backoffMax = Ms("BackoffMax", "BackoffMax");
        Ms("MinUptime", "MinUptime");
        Ms("StartWindow", "StartWindow");

        // Backoff and BackoffMax are checked together, a left-out one at its default (the one home of defaults is
        // Tend.ServiceDefaults, compiled into the generator too).
        if ((backoff is not null || backoffMax is not null) && named.ContainsKey(backoff is null ? "BackoffMax" : "Backoff"))
        {
            var initial = backoff ?? DefaultMs(ServiceDefaults.Backoff);
            var max = backoffMax ?? DefaultMs(ServiceDefaults.BackoffMax);
            if (max < initial && max > 0)
            {
                var key = named.ContainsKey("BackoffMax") ? "BackoffMax" : "Backoff";
                var text = named[key].Value as string ?? "";
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At(key), key, text,
                    key == "BackoffMax" ? $"it must not be less than Backoff ({Duration.Format(TimeSpan.FromMilliseconds(initial))})"
                        : $"it must not be more than BackoffMax ({Duration.Format(TimeSpan.FromMilliseconds(max))})"));
            }
        }

        if (named.TryGetValue("StartLimit", out var sl) && sl.Value is int startLimit)
        {
            if (startLimit < 1)
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At("StartLimit"), "StartLimit",
                    startLimit.ToString(CultureInfo.InvariantCulture), "it must be at least 1"));
            else settings.Add(new SettingModel("StartLimit", SettingKind.Integer, startLimit.ToString(CultureInfo.InvariantCulture)));
        }
        if (named.TryGetValue("LogBuffer", out var lb) && lb.Kind != TypedConstantKind.Error && (lb.IsNull || lb.Value is string))
        {
            var sizeText = lb.Value as string ?? "null";
            if (!ByteSize.TryParse(sizeText, out var logBuffer) || logBuffer is > 0 and <= 24)
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At("LogBuffer"), "LogBuffer", sizeText,
                    "expected " + ByteSize.Expected + ", at least 25 bytes when not 0"));
            else settings.Add(new SettingModel("LogBuffer", SettingKind.Integer, logBuffer.ToString(CultureInfo.InvariantCulture)));
        }
        if (named.TryGetValue("StopSignal", out var ss) && ss.Kind != TypedConstantKind.Error && (ss.IsNull || ss.Value is string))
        {
            var signalText = ss.Value as string ?? "null";
            if (!Signals.TryParse(signalText, out var stopSignal))
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At("StopSignal"), "StopSignal", signalText,
                    "expected " + Signals.Expected));
            else settings.Add(new SettingModel("StopSignal", SettingKind.Integer, stopSignal.ToString(CultureInfo.InvariantCulture)));
        }

        // Enums by member name, never a cast of a number: the generated code reads as the declaration does.
        foreach (var key in new[] { "Restart", "KillMode" })
        {
            if (!named.TryGetValue(key, out var e) || e.Type is not INamedTypeSymbol enumType) continue;
            var member = enumType.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue,
                e.Value));
            if (member is null)
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At(key), key, Convert.ToString(e.Value,
                    CultureInfo.InvariantCulture) ?? "",
                    "expected one of " + string.Join(", ",
                        enumType.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => $"{key}.{f.Name}"))));
            else settings.Add(new SettingModel(key, SettingKind.Enum, $"{enumType.Name}.{member.Name}"));
        }

        if (named.TryGetValue("User",
            out var user) && user.Value is string userText && DeclarationRules.UserProblem(userText) is { } userProblem)
            diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, At("User"), "User", userText,
                $"{userProblem}; expected {DeclarationRules.UserExpected}"));
        foreach (var key in new[] { "MatchName", "WorkingDirectory", "User" })
            if (named.TryGetValue(key, out var v) && v.Value is string s)
                settings.Add(new SettingModel(key, SettingKind.String, s));
        return settings;
    }

    private static long DefaultMs(string text) => Duration.TryParse(text, out var d) ? (long)d.TotalMilliseconds : 0;

    /// <summary>
    /// The [Option] properties of the class, then of its base classes (inherited options are supported: the generated
    /// constructor sets them like its own); a property overridden counts once, as its most derived declaration.
    /// </summary>
    private static (List<OptionModel>, List<OptionSite>) Options(INamedTypeSymbol type, string service, Compilation compilation,
        List<DiagnosticInfo> diags, CancellationToken ct)
    {
        var options = new List<OptionModel>();
        var sites = new List<OptionSite>();
        var flags = new Dictionary<string, string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in MembersWithInherited(type))
        {
            ct.ThrowIfCancellationRequested();
            if (member is IFieldSymbol { IsRequired: true } field && seen.Add(field.Name))
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RequiredNotOption, SourceLocation(field), field.Name));
            if (member is not IPropertySymbol prop || !seen.Add(prop.Name)) continue;
            AttributeData? optionAttr = null;
            for (var p = prop; p is not null && optionAttr is null; p = p.OverriddenProperty)
                optionAttr = p.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == OptionAttribute);
            var location = SourceLocation(prop);
            if (optionAttr is null)
            {
                if (prop.IsRequired)
                    diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RequiredNotOption, location, prop.Name));
                continue;
            }
            if (prop.SetMethod is null || prop.IsStatic)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OptionNotSettable, location, prop.Name));
                continue;
            }
            var access = !Visible(prop) ? $"is {Accessibility(prop)}"
                : prop.GetMethod is null ? "has no getter"
                : !Visible(prop.GetMethod) ? $"has a {Accessibility(prop.GetMethod)} getter"
                : !Visible(prop.SetMethod) ? $"has a {Accessibility(prop.SetMethod)} {(prop.SetMethod.IsInitOnly ? "init" : "setter")}"
                : null;
            if (access is not null)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OptionNotAccessible, location, prop.Name, access));
                continue;
            }
            var optionName = optionAttr.ConstructorArguments.Length > 0 && optionAttr.ConstructorArguments[0].Value is string n ? n
                : Names.Kebab(prop.Name);
            if (!Names.IsValid(optionName))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOptionName, location, optionName, prop.Name));
                continue;
            }
            if (prop.Type.TypeKind == TypeKind.Error) continue; // the compiler reports the unknown type itself
            if (Classify(prop.Type) is not { } kind)
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedOptionType, location, prop.Name,
                    prop.Type.ToDisplayString()));
                continue;
            }
            var underlying = prop.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nt
                ? nt.TypeArguments[0] : prop.Type;
            if (!compilation.IsSymbolAccessibleWithin(underlying, compilation.Assembly))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OptionNotAccessible, location, prop.Name,
                    $"has type '{underlying.ToDisplayString()}', which is {Accessibility(underlying)} (make the type internal or public)"));
                continue;
            }
            if (underlying.TypeKind == TypeKind.Enum && !underlying.GetMembers().OfType<IFieldSymbol>().Any(f => f.HasConstantValue))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyEnum, location, prop.Name, underlying.ToDisplayString()));
                continue;
            }
            var flag = $"--{service}-{optionName}";
            var env = $"TEND_{service}_{optionName}".Replace('-', '_').ToUpperInvariant();
            if (flags.TryGetValue(flag, out var other))
            {
                diags.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OptionClash, location, prop.Name, flag, other));
                continue;
            }
            flags[flag] = prop.Name;
            var members = kind.Kind == OptionKind.Enum
                ? underlying.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name)
                : Enumerable.Empty<string>();
            options.Add(new OptionModel(Id(prop.Name), flag, env, kind.Kind,
                prop.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), kind.Nullable, prop.IsRequired,
                new EquatableArray<string>(members), DocComments.Summary(prop, ct)));
            sites.Add(new OptionSite(prop.Name, LocationInfo.From(location)));
        }
        return (options, sites);
    }

    /// <summary>Reachable from the generated TendApp (same assembly, not private or protected).</summary>
    private static bool Visible(ISymbol s) =>
        s.DeclaredAccessibility is Microsoft.CodeAnalysis.Accessibility.Public or Microsoft.CodeAnalysis.Accessibility.Internal or
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal;

    private static string Accessibility(ISymbol s) => s.DeclaredAccessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Private => "private",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "not accessible",
    };

    private static Location? SourceLocation(ISymbol? s) => s?.Locations.FirstOrDefault(l => l.IsInSource);

    private static (OptionKind Kind, bool Nullable)? Classify(ITypeSymbol type)
    {
        var nullable = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n)
        {
            type = n.TypeArguments[0];
            nullable = true;
        }
        if (type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String,
            Rank: 1 } && !nullable) return (OptionKind.StringArray, false);
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

    private static Location? NamedLocation(Location? attribute, string name)
    {
        if (attribute?.SourceTree is not { } tree) return null;
        var node = tree.GetRoot().FindNode(attribute.SourceSpan) as AttributeSyntax
            ?? tree.GetRoot().FindNode(attribute.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>();
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
