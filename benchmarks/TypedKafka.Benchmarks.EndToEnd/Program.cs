using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using TypedKafka.Testing;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// The end-to-end benchmark of docs/performance.md: starts the embedded cluster in a child process (this executable with
/// <c>--broker</c>), which loads the data once; then runs TypedKafka and Confluent.Kafka consumers alternately, several
/// rounds, each reading every record from the beginning; prints a Markdown table of medians.
/// </summary>
public static class Program
{
    private static Stopwatch Uptime { get; } = new();

    public static async Task<int> Main(string[] args)
    {
        Uptime.Start();
        BenchmarkSettings settings;
        try
        {
            settings = BenchmarkSettings.Parse(args);
        }
        catch (HelpRequestedException)
        {
            Console.WriteLine(BenchmarkSettings.Usage);
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(BenchmarkSettings.Usage);
            return 2;
        }

        if (settings.Broker) return await BrokerHost.RunAsync(settings).ConfigureAwait(false);
        return await RunBenchmarkAsync(settings, args).ConfigureAwait(false);
    }

    private static async Task<int> RunBenchmarkAsync(BenchmarkSettings settings, string[] args)
    {
        var loadBefore = LoadAverage();
        var startedAt = DateTimeOffset.Now;
        Console.Error.WriteLine($"Load average at start: {loadBefore}");

        using var broker = StartBroker(settings);
        try
        {
            var bootstrap = await WaitForBootstrapAsync(broker).ConfigureAwait(false);
            TimeSpan BrokerCpu()
            {
                try
                {
                    broker.Refresh();
                    return broker.TotalProcessorTime;
                }
                catch (InvalidOperationException)
                {
                    return TimeSpan.Zero; // the broker died; the next run will fail on its own
                }
            }

            // Binds Confluent.Kafka to the librdkafka file the embedded cluster uses (TypedKafka.Testing's
            // ConfluentNativeBinding, reached through its public entry point) before any Confluent type is used.
            var confluentNative = TestProducer.NativeVersion;
            Console.Error.WriteLine($"Confluent.Kafka {typeof(Confluent.Kafka.Library).Assembly.GetName().Version} bound to librdkafka {confluentNative}");

            var tk = new TypedKafkaRuns(settings, bootstrap, BrokerCpu);
            var cf = new ConfluentRuns(settings, bootstrap, BrokerCpu);
            var fw = new FrameworkRuns(settings, tk.Options, BrokerCpu);
            var producers = new ProducerRuns(settings, bootstrap, BrokerCpu);
            Task<RunResult> Run(string consumer, long records) => consumer switch
            {
                "tk-raw" => tk.RawAsync(records),
                "tk-spans" => tk.SpansAsync(records),
                "tk-typed" => tk.TypedAsync(records),
                "tk-typed-gen" => tk.TypedGeneratedAsync(records),
                "tk-framework" => fw.RunAsync(records),
                "cf-default" => Task.Run(() => cf.Bytes(consumer, tuned: false, records)),
                "cf-tuned" => Task.Run(() => cf.Bytes(consumer, tuned: true, records)),
                "cf-stj-default" => Task.Run(() => cf.Typed(consumer, tuned: false, records)),
                "cf-stj-tuned" => Task.Run(() => cf.Typed(consumer, tuned: true, records)),
                "tk-produce" => Task.Run(() => producers.TypedKafkaAsync(records)),
                "cf-produce" => Task.Run(() => producers.Confluent(records)),
                _ => throw new ArgumentException($"Unknown consumer {consumer}"),
            };

            if (settings.Startups > 0)
            {
                Console.WriteLine(await tk.StartupsAsync(settings.Startups).ConfigureAwait(false));
                return 0;
            }

            if (settings.WarmupRecords > 0)
            {
                var warm = Math.Min(settings.WarmupRecords, settings.Records);
                Console.Error.WriteLine($"Warm-up: every consumer reads {warm:N0} records (not measured), {settings.WarmupPasses} time(s)");
                for (var pass = 1; pass <= settings.WarmupPasses; pass++)
                {
                    foreach (var consumer in settings.Consumers)
                    {
                        RunMeter.Settle();
                        var r = await Run(consumer, warm).ConfigureAwait(false);
                        Console.Error.WriteLine($"  warm-up {pass} {consumer,-15} {r.RecordsPerSecond,12:N0} rec/s  {{{r.System}}}");
                    }
                }
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Rounds start {Uptime.Elapsed.TotalSeconds:0.0} s after Main started (to skip the warm-up in a trace)"));
            var results = new List<RunResult>();
            var failures = new List<string>();
            for (var round = 1; round <= settings.Rounds; round++)
            {
                // Rotate the starting consumer each round so that no consumer always runs first or after the same one.
                var n = settings.Consumers.Count;
                for (var k = 0; k < n; k++)
                {
                    var consumer = settings.Consumers[(k + round - 1) % n];
                    RunMeter.Settle();
                    try
                    {
                        var began = DateTime.Now;
                        var r = await Run(consumer, settings.Records).ConfigureAwait(false);
                        results.Add(r);
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"round {round} {consumer,-15} {r.RecordsPerSecond,12:N0} rec/s {r.MegabytesPerSecond,7:0.0} MB/s cpu {r.CpuMicrosPerRecord,5:0.00} us/rec " +
                            $"alloc {r.AllocatedPerRecord,7:0.0} B/rec gc {r.Gen0}/{r.Gen1}/{r.Gen2} pause {r.GcPause.TotalMilliseconds,4:0} ms locks contended {r.LockContentions,5} broker {r.BrokerCoreShare * 100,4:0}% of a core") +
                            (r.Notes.Length > 0 ? "  [" + r.Notes + "]" : "") + (r.System.Length > 0 ? "  {" + r.System + "}" : "") +
                            (settings.LogLevel is null ? "" : string.Create(CultureInfo.InvariantCulture, $"  (started {began:HH:mm:ss.fff})")));
                    }
                    catch (Exception e) when (e is TimeoutException or KafkaException or Confluent.Kafka.KafkaException or InvalidOperationException)
                    {
                        failures.Add($"round {round} {consumer}: {e.GetType().Name}: {e.Message}");
                        Console.Error.WriteLine($"round {round} {consumer} FAILED: {e}");
                    }
                }
            }

            var engineReport = "";
            if (settings.Engine)
            {
                Console.Error.WriteLine("Engine runs:");
                engineReport = "\n## The processing engine\n\n" + await new EngineRuns(tk.Options).RunAsync().ConfigureAwait(false);
            }

            var loadAfter = LoadAverage();
            var report = Report.Build(settings, args, results, failures, startedAt, loadBefore, loadAfter, confluentNative) + engineReport;
            Console.WriteLine(report);
            if (settings.OutputFile is { } file) await File.WriteAllTextAsync(file, report).ConfigureAwait(false);
            return failures.Count == 0 ? 0 : 1;
        }
        finally
        {
            StopBroker(broker);
        }
    }

    private static Process StartBroker(BenchmarkSettings settings)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable this is.");
        var info = new ProcessStartInfo
        {
            FileName = self,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        // Started as "dotnet TypedKafka.Benchmarks.EndToEnd.dll": the child needs the assembly path too.
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var a in settings.BrokerArguments()) info.ArgumentList.Add(a);
        // A trace or counters session set up through DOTNET_ variables is meant for the consumers, not the broker.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("DOTNET_EventPipe", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start the broker process {self}.");
    }

    private static async Task<string> WaitForBootstrapAsync(Process broker)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var line = await broker.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The broker process exited (code {(broker.HasExited ? broker.ExitCode : -1)}) before it was ready.");
            if (line.StartsWith(BrokerHost.ReadyPrefix, StringComparison.Ordinal)) return line[BrokerHost.ReadyPrefix.Length..].Trim();
            Console.Error.WriteLine("[broker] " + line);
        }
    }

    private static void StopBroker(Process broker)
    {
        try
        {
            broker.StandardInput.Close();
            if (!broker.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                Console.Error.WriteLine("The broker did not stop within 10 s; killing it.");
                broker.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    internal static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} / {parts[1]} / {parts[2]} (1 / 5 / 15 min)";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    internal static string Machine() => string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
        $"{(GCSettings.IsServerGC ? "Server" : "Workstation")} GC{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? " (concurrent)" : "")}, " +
        $"TieredPGO {(Environment.GetEnvironmentVariable("DOTNET_TieredPGO") ?? "default (on)")}");
}

/// <summary>The Markdown report: medians per consumer, ratios against Confluent.Kafka tuned, and how it was run.</summary>
internal static class Report
{
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["tk-raw"] = "TypedKafka `byte[]` (`PollAsync`)",
        ["tk-spans"] = "TypedKafka spans (`PollBatchAsync`)",
        ["tk-typed"] = "TypedKafka + STJ source-gen `Order`",
        ["tk-typed-gen"] = "TypedKafka + generated deserializer `Order`",
        ["tk-framework"] = "TypedKafka framework (`AddTypedKafka`, handler, commits), steady state",
        ["cf-default"] = "Confluent.Kafka `byte[]`, default",
        ["cf-tuned"] = "Confluent.Kafka `byte[]`, `fetch.queue.backoff.ms=10`",
        ["cf-stj-default"] = "Confluent.Kafka + STJ source-gen, default",
        ["cf-stj-tuned"] = "Confluent.Kafka + STJ source-gen, `fetch.queue.backoff.ms=10`",
        ["tk-produce"] = "TypedKafka `KafkaProducer<byte[], byte[]>` (linger 5 ms, acks all, idempotent)",
        ["cf-produce"] = "Confluent.Kafka producer `byte[]`, `Produce` + delivery handler (linger 5 ms, acks all, idempotent)",
    };

    public static string Build(BenchmarkSettings settings, string[] args, List<RunResult> results, List<string> failures,
        DateTimeOffset startedAt, string loadBefore, string loadAfter, string confluentNative)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{settings.Records:N0} records ({Data.KeySize} B keys, {Data.ValueSize} B JSON values, {(settings.Lz4 ? "lz4" : "no compression")}) over {settings.Partitions} partitions in batches of {settings.BatchRecords:N0}, 3 mock brokers in a child process; " +
            $"medians of {settings.Rounds} round(s){(settings.WarmupRecords > 0 ? $" after a warm-up of {settings.WarmupRecords:N0} records per consumer{(settings.WarmupPasses > 1 ? $", {settings.WarmupPasses} times" : "")}" : "")}.");
        sb.AppendLine();
        sb.AppendLine("| client | records/s | MB/s | CPU µs/record | allocated B/record | GC gen0/1/2 | GC pause | records/s min–max | broker CPU |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var medians = new Dictionary<string, (double Rate, double Cpu, double Alloc)>();
        foreach (var consumer in settings.Consumers)
        {
            var runs = results.Where(r => r.Consumer == consumer).ToList();
            if (runs.Count == 0)
            {
                sb.AppendLine(inv, $"| {Descriptions[consumer]} | failed | | | | | | | |");
                continue;
            }
            var rate = Median(runs.Select(r => r.RecordsPerSecond));
            var cpu = Median(runs.Select(r => r.CpuMicrosPerRecord));
            var alloc = Median(runs.Select(r => r.AllocatedPerRecord));
            medians[consumer] = (rate, cpu, alloc);
            sb.AppendLine(inv,
                $"| {Descriptions[consumer]} | {Thousands(rate)} | {Median(runs.Select(r => r.MegabytesPerSecond)):0.0} | {cpu:0.00} | {FormatAlloc(alloc)} | " +
                $"{Median(runs.Select(r => (double)r.Gen0)):0}/{Median(runs.Select(r => (double)r.Gen1)):0}/{Median(runs.Select(r => (double)r.Gen2)):0} | {Median(runs.Select(r => r.GcPause.TotalMilliseconds)):0} ms | " +
                $"{Thousands(runs.Min(r => r.RecordsPerSecond))}–{Thousands(runs.Max(r => r.RecordsPerSecond))} | {Median(runs.Select(r => r.BrokerCoreShare)) * 100:0}% |");
        }
        sb.AppendLine();

        var ratios = new List<(string Label, string Tk, string Cf, double Target)>
        {
            ("raw `byte[]` vs Confluent `byte[]` tuned", "tk-raw", "cf-tuned", 2),
            ("spans vs Confluent `byte[]` tuned", "tk-spans", "cf-tuned", 2),
            ("typed (STJ) vs Confluent + STJ tuned", "tk-typed", "cf-stj-tuned", 3),
            ("typed (generated) vs Confluent + STJ tuned", "tk-typed-gen", "cf-stj-tuned", 3),
            ("framework vs typed (generated), TypedKafka / TypedKafka", "tk-framework", "tk-typed-gen", 0.8),
            ("producer vs Confluent producer", "tk-produce", "cf-produce", 1.5),
        };
        var any = false;
        foreach (var (label, t, c, target) in ratios)
        {
            if (!medians.TryGetValue(t, out var tm) || !medians.TryGetValue(c, out var cm)) continue;
            if (!any)
            {
                sb.AppendLine("| TypedKafka / Confluent.Kafka (same run) | records/s | CPU per record | target records/s |");
                sb.AppendLine("|---|---:|---:|---:|");
                any = true;
            }
            sb.AppendLine(inv, $"| {label} | **{tm.Rate / cm.Rate:0.00}×** | {tm.Cpu / cm.Cpu:0.00}× | ≥ {target:0.##}× |");
        }
        if (any) sb.AppendLine();

        var framework = results.Where(r => r.Framework is not null).ToList();
        if (framework.Count > 0)
        {
            sb.AppendLine("| tk-framework group join (median) | join time | join CPU | join allocated | assignment → first record | records/s including the join |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|");
            sb.AppendLine(inv,
                $"| {framework.Count} run(s), min–max join {framework.Min(r => r.Framework!.Join.TotalMilliseconds):0}–{framework.Max(r => r.Framework!.Join.TotalMilliseconds):0} ms | " +
                $"{Median(framework.Select(r => r.Framework!.Join.TotalMilliseconds)):0} ms | {Median(framework.Select(r => r.Framework!.JoinCpu.TotalMilliseconds)):0} ms | " +
                $"{Median(framework.Select(r => r.Framework!.JoinAllocated / 1024.0)):0} KB | {Median(framework.Select(r => r.Framework!.FirstRecord.TotalMilliseconds)):0.0} ms | " +
                $"{Thousands(Median(framework.Select(r => r.Framework!.RecordsPerSecondWithJoin)))} |");
            sb.AppendLine();
        }

        if (failures.Count > 0)
        {
            sb.AppendLine("Failed runs:");
            foreach (var f in failures) sb.AppendLine("- " + f);
            sb.AppendLine();
        }

        var command = "dotnet run -c Release --project benchmarks/TypedKafka.Benchmarks.EndToEnd" + (args.Length > 0 ? " -- " + string.Join(' ', args.Select(Quote)) : "");
        sb.AppendLine(inv, $"- Command: `{command}`");
        if (settings.TypedKafkaSettings.Count > 0)
            sb.AppendLine(inv, $"- TypedKafka settings: {string.Join(", ", settings.TypedKafkaSettings.Select(p => $"{p.Key}={p.Value}"))}");
        if (settings.ConfluentSettings.Count > 0)
            sb.AppendLine(inv, $"- Confluent.Kafka settings: {string.Join(", ", settings.ConfluentSettings.Select(p => $"{p.Key}={p.Value}"))}");
        sb.AppendLine(inv, $"- Date: {startedAt:yyyy-MM-dd HH:mm zzz}; machine: {Program.Machine()}");
        sb.AppendLine(inv, $"- Load average before: {loadBefore}; after: {loadAfter}");
        sb.AppendLine(inv, $"- Confluent.Kafka {typeof(Confluent.Kafka.Library).Assembly.GetName().Version?.ToString(3)}, librdkafka {confluentNative} (the embedded cluster's file)");
        return sb.ToString();
    }

    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg;

    private static string Thousands(double rate) => rate >= 1e6
        ? (rate / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M"
        : (rate / 1e3).ToString("0", CultureInfo.InvariantCulture) + " k";

    private static string FormatAlloc(double bytes) => bytes < 0.05 ? "0" : bytes.ToString(bytes < 10 ? "0.00" : "0", CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
