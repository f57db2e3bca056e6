using System.Runtime.InteropServices;

namespace TypedKafka.Testing.Native;

/// <summary>
/// Finds and loads librdkafka from the <c>librdkafka.redist</c> package. On Debian 12 the package's plain
/// <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>, which Debian does not have, so the loader tries each variant
/// the package ships and keeps the first that loads, remembering why the others failed.
/// </summary>
public static class LibrdkafkaLibrary
{
    /// <summary>Environment variable naming a librdkafka file to use instead of the package's.</summary>
    public const string PathVariable = "TYPEDKAFKA_LIBRDKAFKA_PATH";

    private static readonly object Gate = new();
    private static LoadedLibrary? _loaded;

    /// <summary>The file that was loaded, or null before the first cluster starts.</summary>
    public static string? LoadedPath => _loaded?.Path;

    /// <summary>Why candidates before the loaded one were rejected (empty when the first one loaded).</summary>
    public static IReadOnlyList<string> RejectedCandidates => _loaded?.Rejected ?? [];

    internal static LoadedLibrary Load()
    {
        lock (Gate)
        {
            return _loaded ??= LoadFirst(DefaultCandidates());
        }
    }

    /// <summary>The files tried, in order: the override variable, then the package's variants for this platform under
    /// runtimes/&lt;rid&gt;/native/ and next to the application.</summary>
    public static IReadOnlyList<string> DefaultCandidates()
    {
        var list = new List<string>();
        var overridePath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(overridePath)) list.Add(overridePath);

        // A build puts the package's files under runtimes/<rid>/native/; a publish for one runtime (e.g. native AOT)
        // puts them next to the application.
        foreach (var folder in new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeFolder(), "native"), AppContext.BaseDirectory })
        {
            if (OperatingSystem.IsLinux())
            {
                list.Add(Path.Combine(folder, "librdkafka.so"));
                list.Add(Path.Combine(folder, "centos8-librdkafka.so"));
                list.Add(Path.Combine(folder, "alpine-librdkafka.so"));
            }
            else if (OperatingSystem.IsMacOS())
            {
                list.Add(Path.Combine(folder, "librdkafka.dylib"));
            }
            else if (OperatingSystem.IsWindows())
            {
                list.Add(Path.Combine(folder, "librdkafka.dll"));
            }
        }
        return list;
    }

    /// <summary>Loads the first candidate that the OS loader accepts; throws <see cref="DllNotFoundException"/>
    /// listing every candidate and why it failed when none does.</summary>
    public static LoadedLibrary LoadFirst(IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var rejected = new List<string>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path))
            {
                rejected.Add($"{path}: file not found");
                continue;
            }
            try
            {
                var handle = NativeLibrary.Load(path);
                if (!NativeLibrary.TryGetExport(handle, "rd_kafka_mock_cluster_new", out _))
                {
                    rejected.Add($"{path}: loaded, but it has no mock cluster (rd_kafka_mock_cluster_new is missing)");
                    continue;
                }
                return new LoadedLibrary(path, handle, rejected);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                rejected.Add($"{path}: {e.Message}");
            }
        }
        throw new DllNotFoundException(
            "No librdkafka library could be loaded for the embedded Kafka cluster. Make sure the librdkafka.redist "
            + $"package's runtimes folder is copied to the output, or set {PathVariable}. Tried:"
            + Environment.NewLine + (rejected.Count == 0 ? "  (no candidates)" : string.Join(Environment.NewLine, rejected.Select(r => "  " + r))));
    }

    private static string RuntimeFolder()
    {
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            _ => "x64",
        };
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{arch}";
    }
}

/// <summary>A loaded librdkafka: its path, its handle, and the candidates rejected before it.</summary>
public sealed record LoadedLibrary(string Path, IntPtr Handle, IReadOnlyList<string> Rejected)
{
    internal IntPtr Export(string name) =>
        NativeLibrary.TryGetExport(Handle, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{Path} has no export {name}; the embedded cluster needs librdkafka 2.16 or newer.");
}
