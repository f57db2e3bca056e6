using System.Globalization;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>Command-line settings (see <see cref="Usage"/>).</summary>
internal sealed class BenchmarkSettings
{
    public static readonly string[] DefaultConsumers = ["tk-raw", "tk-spans", "tk-typed", "tk-typed-gen", "tk-framework", "cf-default", "cf-tuned", "cf-stj-tuned"];
    public static readonly string[] AllConsumers = [.. DefaultConsumers, "cf-stj-default", "tk-produce", "cf-produce"];

    public bool Broker { get; private set; }
    public int Rounds { get; private set; } = 3;
    public int Records { get; private set; } = 1_000_000;
    public int Partitions { get; private set; } = 32;
    public string Topic { get; private set; } = "orders";
    public bool Lz4 { get; private set; }
    public int BatchRecords { get; private set; } = 1000;
    private int? _warmupRecords;

    /// <summary>Records each consumer reads before the rounds, not measured: by default a full pass, because a
    /// shorter one leaves TypedKafka's hot paths in tier-0/instrumented code (the first measured round then runs at a
    /// fraction of the steady-state rate; 100,000 records were not enough).</summary>
    public int WarmupRecords => _warmupRecords ?? Records;

    /// <summary>How many times the warm-up is repeated (every consumer once per pass, in order).</summary>
    public int WarmupPasses { get; private set; } = 1;
    public List<string> Consumers { get; private set; } = [.. DefaultConsumers];
    public List<KeyValuePair<string, string>> TypedKafkaSettings { get; } = [];
    public List<KeyValuePair<string, string>> ConfluentSettings { get; } = [];
    public List<KeyValuePair<string, string>> ProducerSettings { get; } = [];
    public bool Breakdown { get; private set; }
    public bool Engine { get; private set; }
    public bool Stalls { get; private set; }
    public bool Timeline { get; private set; }
    public int Startups { get; private set; }
    public Microsoft.Extensions.Logging.LogLevel? LogLevel { get; private set; }
    public TimeSpan RunTimeout { get; private set; } = TimeSpan.FromSeconds(120);
    public string? OutputFile { get; private set; }

    public const string Usage = """
        TypedKafka.Benchmarks.EndToEnd: TypedKafka vs Confluent.Kafka, end to end, on the embedded cluster.

          --rounds N            rounds of every consumer (default 3); the table shows medians
          --records N           records to load and read per run (default 1000000)
          --partitions N        partitions of the topic (default 32; the mock keeps at most 5 MiB per partition)
          --lz4                 load the data lz4-compressed
          --batch N             records per producer batch (default 1000, ~110 KB); the mock answers a fetch with at
                                most one stored batch per partition, so this sets how much one fetch can bring
          --warmup N            records each consumer reads once before the rounds, not measured (default: --records,
                                a full pass, so that tiered JIT/PGO has settled; 0: none)
          --warmup-passes N     repeat the warm-up N times (default 1)
          --only a,b,...        consumers to run, among: tk-raw, tk-spans, tk-typed (System.Text.Json), tk-typed-gen
                                (TypedKafka's generated deserializer), tk-framework (AddTypedKafka in a generic host:
                                group join, then poll, deserialize, dispatch, handler, commit; the topic must be
                                "orders"), cf-default, cf-tuned, cf-stj-tuned, cf-stj-default (default: all but cf-stj-default
                                and the producers), and the producers tk-produce (KafkaProducer) and cf-produce
                                (Confluent.Kafka), which write --records keyed records (linger 5 ms, acks all,
                                idempotent) to a topic of --partitions partitions; use --warmup with them too
          --tk key=value        a TypedKafka ConsumerOptions setting for every TypedKafka consumer, tk-framework's too
                                (property, Java or kafka-python name, e.g. --tk max.poll.records=2000
                                --tk FetchMaxWait=00:00:00.100); repeatable
          --cf key=value        a librdkafka setting for every Confluent.Kafka consumer (and cf-produce); repeatable
          --tkp key=value       a TypedKafka ProducerOptions setting for tk-produce (e.g. --tkp batch.size=65536); repeatable
          --engine              after the rounds, the processing engine's runs on a topic of its own (32 partitions, 64
                                keys): a 5 ms handler under Partition, Key and Unordered ordering against the bound
                                (concurrency / measured latency), and a handler slower than the fetcher (peak records in
                                flight and working set for MaxInFlightRecords 1,000 / 10,000 / 100,000)
          --breakdown           TypedKafka (not tk-framework): split allocations into poll / read (caller thread) / the
                                rest, count polls, and show how many ResponseFrame.Pool arrays are rented per size
          --stalls              TypedKafka (not tk-framework): when no record arrives for 100 ms, print the fetcher's
                                state (per broker and partition: fetch in flight, positions, buffered bytes), read from
                                its internals
          --timeline            TypedKafka (not tk-framework): every 10 ms print records read, fetches, and per broker
                                the partitions being fetched (and how many are at the high watermark), held back by
                                their buffer, and buffered bytes; then the thread pool and ResponseFrame.Pool
          --log LEVEL           TypedKafka (tk-framework too): log to stderr at LEVEL (Trace, Debug, Information...), with
                                timestamps; each round's line shows when the run started
          --startups N          instead of the rounds: N times, a new TypedKafka consumer assigns every partition and polls
                                until its first records; prints the distribution of that delay (use with --log Information
                                to see failed lookups)
          --timeout SECONDS     a run that has not read every record by then fails (default 120)
          --output FILE         also write the Markdown results to FILE
          --broker              (internal) run the embedded cluster and serve until stdin closes
        """;

    public static BenchmarkSettings Parse(string[] args)
    {
        var s = new BenchmarkSettings();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            int NextInt(int min) => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v : throw new ArgumentException($"{arg} needs an integer >= {min}.");
            KeyValuePair<string, string> NextPair()
            {
                var text = Next();
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) throw new ArgumentException($"{arg} needs key=value, got '{text}'.");
                return new(text[..eq], text[(eq + 1)..]);
            }

            switch (arg)
            {
                case "--broker": s.Broker = true; break;
                case "--rounds": s.Rounds = NextInt(1); break;
                case "--records": s.Records = NextInt(1); break;
                case "--partitions": s.Partitions = NextInt(1); break;
                case "--topic": s.Topic = Next(); break;
                case "--lz4": s.Lz4 = true; break;
                case "--batch": s.BatchRecords = NextInt(1); break;
                case "--warmup": s._warmupRecords = NextInt(0); break;
                case "--warmup-passes": s.WarmupPasses = NextInt(1); break;
                case "--only":
                    s.Consumers = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    foreach (var c in s.Consumers)
                    {
                        if (!AllConsumers.Contains(c)) throw new ArgumentException($"Unknown consumer '{c}'; known: {string.Join(", ", AllConsumers)}.");
                    }
                    break;
                case "--tk": s.TypedKafkaSettings.Add(NextPair()); break;
                case "--cf": s.ConfluentSettings.Add(NextPair()); break;
                case "--tkp": s.ProducerSettings.Add(NextPair()); break;
                case "--breakdown": s.Breakdown = true; break;
                case "--engine": s.Engine = true; break;
                case "--stalls": s.Stalls = true; break;
                case "--timeline": s.Timeline = true; break;
                case "--timeout": s.RunTimeout = TimeSpan.FromSeconds(NextInt(1)); break;
                case "--startups": s.Startups = NextInt(1); break;
                case "--log":
                    s.LogLevel = Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(Next(), ignoreCase: true, out var level)
                        ? level : throw new ArgumentException($"{arg} needs a log level (Trace, Debug, Information, Warning, Error).");
                    break;
                case "--output": s.OutputFile = Next(); break;
                case "-h" or "--help": throw new HelpRequestedException();
                default: throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }
        return s;
    }

    /// <summary>The arguments that the broker child needs to load the same data.</summary>
    public IEnumerable<string> BrokerArguments() =>
        ["--broker", "--records", Records.ToString(CultureInfo.InvariantCulture), "--partitions", Partitions.ToString(CultureInfo.InvariantCulture),
         "--topic", Topic, "--batch", BatchRecords.ToString(CultureInfo.InvariantCulture), .. (Lz4 ? new[] { "--lz4" } : []),
         .. (Engine ? new[] { "--engine" } : [])];
}

internal sealed class HelpRequestedException : Exception
{
}
