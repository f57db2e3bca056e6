using System.Text;
using TypedKafka.Protocol;
using TypedKafka.Testing.Native;

namespace TypedKafka.Testing;

/// <summary>
/// An embedded Kafka cluster for tests, samples and benchmarks: librdkafka's mock cluster (a real Kafka-protocol
/// broker from the <c>librdkafka.redist</c> package) started in this process on 127.0.0.1 ports, with controls to
/// inject faults. Clients talk to it over TCP exactly as to a real cluster. Broker ids are 1..<see cref="BrokerCount"/>.
/// </summary>
/// <remarks>Every control is safe to call from any thread while clients are connected. Several clusters may run in
/// one process. Disposing closes every listener and frees the native state.</remarks>
public sealed unsafe partial class KafkaTestCluster : IAsyncDisposable, IDisposable
{
    /// <summary>Pass to <see cref="PushRequestErrors"/> to make the broker drop the connection instead of answering
    /// (librdkafka's <c>RD_KAFKA_RESP_ERR__TRANSPORT</c>).</summary>
    public const ErrorCode ConnectionDrop = (ErrorCode)(-195);

    private readonly MockApi _api;
    private readonly object _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;
    private TestProducer? _producer;

    private KafkaTestCluster(MockApi api, IntPtr handle, IntPtr cluster, int brokerCount)
    {
        _api = api;
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = MockApi.Utf8(api.ClusterBootstraps(cluster));
        var endpoints = BootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var brokers = new Dictionary<int, string>();
        for (var i = 0; i < endpoints.Length; i++) brokers[i + 1] = endpoints[i];
        Brokers = brokers;
    }

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">brokers is not between 1 and 32.</exception>
    /// <exception cref="DllNotFoundException">librdkafka could not be loaded; the message lists each file tried and why.</exception>
    public static Task<KafkaTestCluster> StartAsync(int brokers = 3, KafkaTestClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokers, 32);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new KafkaTestClusterOptions();
        var api = MockApi.Instance;

        var conf = api.ConfNew();
        SetConf(api, conf, "log_level", options.LogLevel.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SetConf(api, conf, "client.id", "typedkafka-test-cluster");

        var error = stackalloc byte[512];
        var handle = api.KafkaNew(0 /* RD_KAFKA_PRODUCER */, conf, error, 512); // takes ownership of conf on success
        if (handle == IntPtr.Zero)
        {
            api.ConfDestroy(conf);
            throw new InvalidOperationException($"librdkafka ({api.Library.Path}) refused to create the cluster's owner handle: {MockApi.Utf8(error)}");
        }

        var cluster = api.ClusterNew(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            api.KafkaDestroy(handle);
            throw new InvalidOperationException($"librdkafka ({api.Library.Path}) could not start a mock cluster of {brokers} brokers.");
        }

        var result = new KafkaTestCluster(api, handle, cluster, brokers);
        result.SetGroupInitialRebalanceDelay(options.GroupInitialRebalanceDelay);
        if (options.AdvertiseOnlyParsedGroupVersions)
        {
            // The 2.16 mock advertises JoinGroup v0-6, SyncGroup v0-4 and LeaveGroup v0-4 but parses those bodies with
            // the pre-flexible layout: a JoinGroup v6 or SyncGroup v4 makes it close the connection, and LeaveGroup v3+
            // (member batches) is not understood. librdkafka's own client never sends them. Advertise what it parses.
            result.SetApiVersion(ApiKey.JoinGroup, 0, 5);
            result.SetApiVersion(ApiKey.SyncGroup, 0, 3);
            result.SetApiVersion(ApiKey.LeaveGroup, 0, 2);
        }
        return Task.FromResult(result);
    }

    /// <summary>The comma-separated bootstrap list, e.g. <c>127.0.0.1:41235,127.0.0.1:33107,...</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>How many brokers the cluster started with.</summary>
    public int BrokerCount { get; }

    /// <summary>Each broker's id and its <c>host:port</c>.</summary>
    public IReadOnlyDictionary<int, string> Brokers { get; }

    /// <summary>The librdkafka file that serves this cluster.</summary>
    public string NativeLibraryPath => _api.Library.Path;

    /// <summary>librdkafka's version string, e.g. <c>2.16.0</c>.</summary>
    public string NativeVersion => _api.Version;

    /// <summary>Creates a topic. The mock has no CreateTopics API; this is the way in.</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        if (replicationFactor > BrokerCount)
            throw new ArgumentOutOfRangeException(nameof(replicationFactor), replicationFactor, $"The cluster has only {BrokerCount} brokers.");
        Check(WithUtf8(topic, t => _api.TopicCreate(Cluster, (byte*)t, partitions, replicationFactor)), $"create topic '{topic}'");
    }

    /// <summary>Makes every Metadata answer for <paramref name="topic"/> carry <paramref name="error"/> (None clears it).</summary>
    public void SetTopicError(string topic, ErrorCode error)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        WithUtf8(topic, t => { _api.TopicSetError(Cluster, (byte*)t, (int)error); return 0; });
    }

    /// <summary>Drops the broker's connections and refuses new ones. Leadership does not move by itself.</summary>
    public void SetBrokerDown(int brokerId) => Check(_api.BrokerSetDown(Cluster, CheckBroker(brokerId)), $"take broker {brokerId} down");

    /// <summary>Lets the broker accept connections again.</summary>
    public void SetBrokerUp(int brokerId) => Check(_api.BrokerSetUp(Cluster, CheckBroker(brokerId)), $"bring broker {brokerId} up");

    /// <summary>Delays every response of the broker by <paramref name="rtt"/> (zero removes the delay).</summary>
    public void SetBrokerRtt(int brokerId, TimeSpan rtt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rtt, TimeSpan.Zero);
        Check(_api.BrokerSetRtt(Cluster, CheckBroker(brokerId), checked((int)rtt.TotalMilliseconds)), $"set the RTT of broker {brokerId}");
    }

    /// <summary>Sets the rack the broker reports in Metadata (for fetch-from-follower tests, KIP-392).</summary>
    public void SetBrokerRack(int brokerId, string rack)
    {
        ArgumentNullException.ThrowIfNull(rack);
        var id = CheckBroker(brokerId);
        Check(WithUtf8(rack, r => _api.BrokerSetRack(Cluster, id, (byte*)r)), $"set the rack of broker {brokerId}");
    }

    /// <summary>
    /// Queues errors for the next requests of <paramref name="api"/> to any broker, first in first out: each of the
    /// next requests is answered with the next error instead of being served. <see cref="ConnectionDrop"/> makes the
    /// broker close the connection instead.
    /// </summary>
    public void PushRequestErrors(ApiKey api, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0) return;
        var codes = new int[errors.Length];
        for (var i = 0; i < errors.Length; i++) codes[i] = (int)errors[i];
        fixed (int* p = codes) _api.PushRequestErrorsArray(Cluster, (short)api, (nuint)codes.Length, p);
    }

    /// <summary>Forgets queued errors for <paramref name="api"/>.</summary>
    public void ClearRequestErrors(ApiKey api) => _api.ClearRequestErrors(Cluster, (short)api);

    /// <summary>Moves the partition's leadership to <paramref name="brokerId"/>, or makes it leaderless with -1.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var id = brokerId == -1 ? -1 : CheckBroker(brokerId);
        Check(WithUtf8(topic, t => _api.PartitionSetLeader(Cluster, (byte*)t, partition, id)), $"move the leader of {topic}-{partition} to {brokerId}");
    }

    /// <summary>Sets the partition's preferred read replica, the broker a KIP-392 fetch is redirected to.</summary>
    public void SetPartitionFollower(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Check(WithUtf8(topic, t => _api.PartitionSetFollower(Cluster, (byte*)t, partition, brokerId)), $"set the follower of {topic}-{partition}");
    }

    /// <summary>Sets the follower's low and high watermarks (-1 reverts to the leader's).</summary>
    public void SetPartitionFollowerWatermarks(string topic, int partition, long low, long high)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Check(WithUtf8(topic, t => _api.PartitionSetFollowerWatermarks(Cluster, (byte*)t, partition, low, high)), $"set follower watermarks of {topic}-{partition}");
    }

    /// <summary>Moves the partition's log start offset to <paramref name="beforeOffset"/>, as retention or DeleteRecords would.</summary>
    public void DeleteRecords(string topic, int partition, long beforeOffset)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(beforeOffset);
        Check(WithUtf8(topic, t => _api.PartitionDeleteRecords(Cluster, (byte*)t, partition, beforeOffset)), $"delete records of {topic}-{partition} before {beforeOffset}");
    }

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of consumer group <paramref name="groupId"/>.</summary>
    public void SetCoordinator(string groupId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var key = Encoding.UTF8.GetBytes("group\0");
        var group = NullTerminated(groupId);
        fixed (byte* k = key)
        fixed (byte* g = group)
            Check(_api.CoordinatorSet(Cluster, k, g, brokerId), $"make broker {brokerId} the coordinator of group '{groupId}'");
    }

    /// <summary>Narrows the versions the brokers advertise and accept for <paramref name="api"/>.</summary>
    public void SetApiVersion(ApiKey api, short minVersion, short maxVersion)
    {
        if (minVersion < -1 || maxVersion < minVersion)
            throw new ArgumentOutOfRangeException(nameof(maxVersion), $"Invalid version range {minVersion}..{maxVersion} for {api}.");
        Check(_api.SetApiVersion(Cluster, (short)api, minVersion, maxVersion), $"set the versions of {api} to {minVersion}..{maxVersion}");
    }

    /// <summary>Removes <paramref name="api"/> from the brokers' ApiVersions answer and rejects its requests.</summary>
    public void DisableApi(ApiKey api) => SetApiVersion(api, -1, -1);

    /// <summary>How long a classic group's first join waits for more members (librdkafka's default is 3 s; the
    /// cluster starts with <see cref="KafkaTestClusterOptions.GroupInitialRebalanceDelay"/>, zero by default).</summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        _api.GroupInitialRebalanceDelayMs(Cluster, checked((int)delay.TotalMilliseconds));
    }

    /// <summary>The session timeout of KIP-848 consumer groups.</summary>
    public void SetConsumerGroupSessionTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _api.SetConsumerGroupSessionTimeoutMs(Cluster, checked((int)timeout.TotalMilliseconds));
    }

    /// <summary>The heartbeat interval the brokers ask KIP-848 consumer group members for.</summary>
    public void SetConsumerGroupHeartbeatInterval(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _api.SetConsumerGroupHeartbeatIntervalMs(Cluster, checked((int)interval.TotalMilliseconds));
    }

    /// <summary>Starts recording every request the brokers receive; read them with <see cref="TrackedRequests"/>.</summary>
    public void StartRequestTracking() => _api.StartRequestTracking(Cluster);

    /// <summary>Stops recording requests. librdkafka 2.16 also forgets what was recorded (its header says otherwise),
    /// so read <see cref="TrackedRequests"/> before stopping.</summary>
    public void StopRequestTracking() => _api.StopRequestTracking(Cluster);

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearTrackedRequests() => _api.ClearRequests(Cluster);

    /// <summary>The requests recorded since tracking started, in arrival order (empty once tracking stopped).</summary>
    public IReadOnlyList<TrackedRequest> TrackedRequests
    {
        get
        {
            nuint count = 0;
            var array = _api.GetRequests(Cluster, &count);
            if (array is null) return [];
            try
            {
                var list = new TrackedRequest[(int)count];
                for (var i = 0; i < list.Length; i++)
                {
                    var r = array[i];
                    var micros = _api.RequestTimestamp(r);
                    list[i] = new TrackedRequest(_api.RequestBrokerId(r), (ApiKey)_api.RequestApiKey(r), micros);
                }
                return list;
            }
            finally
            {
                _api.RequestDestroyArray(array, count);
            }
        }
    }

    /// <summary>A producer (Confluent.Kafka, an independent client) connected to this cluster, created on first use.</summary>
    public TestProducer Producer
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
                return _producer ??= new TestProducer(BootstrapServers, new TestProducerOptions());
            }
        }
    }

    /// <summary>Creates a producer with its own settings (compression, batching, transactions). Dispose it.</summary>
    public TestProducer CreateProducer(TestProducerOptions options) => new(BootstrapServers, options);

    /// <summary>Creates a producer that calls librdkafka's C API directly (no Confluent.Kafka, no reflection: safe in
    /// trimmed and Native AOT applications). Dispose it.</summary>
    public NativeProducer CreateNativeProducer(NativeProducerOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
        return NativeProducer.Create(BootstrapServers, options);
    }

    /// <summary>Writes records with the shared <see cref="Producer"/> and waits until the brokers acknowledged all of them.</summary>
    public Task<IReadOnlyList<ProducedRecord>> ProduceAsync(string topic, IEnumerable<TestRecord> records, CancellationToken cancellationToken = default) =>
        Producer.ProduceAsync(topic, records, cancellationToken);

    /// <summary>Writes records with the shared <see cref="Producer"/>.</summary>
    public Task<IReadOnlyList<ProducedRecord>> ProduceAsync(string topic, params TestRecord[] records) =>
        Producer.ProduceAsync(topic, records);

    /// <summary>Same as <see cref="Dispose"/>: stopping the cluster is synchronous.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Disposes the shared <see cref="Producer"/>, destroys the mock cluster (closing every listener, so its
    /// clients see the brokers go away) and then the librdkafka handle. Idempotent.</summary>
    public void Dispose()
    {
        TestProducer? producer;
        IntPtr cluster, handle;
        lock (_gate)
        {
            producer = _producer;
            _producer = null;
            cluster = _cluster;
            handle = _handle;
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
        producer?.Dispose();
        if (cluster != IntPtr.Zero) _api.ClusterDestroy(cluster);
        if (handle != IntPtr.Zero) _api.KafkaDestroy(handle);
    }

    /// <summary>The broker count and bootstrap servers, for test output.</summary>
    public override string ToString() => $"KafkaTestCluster({BrokerCount} brokers: {BootstrapServers})";

    private IntPtr Cluster
    {
        get
        {
            var c = _cluster;
            ObjectDisposedException.ThrowIf(c == IntPtr.Zero, this);
            return c;
        }
    }

    private int CheckBroker(int brokerId)
    {
        if (brokerId < 1 || brokerId > BrokerCount)
            throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"Broker ids of this cluster are 1..{BrokerCount}.");
        return brokerId;
    }

    private void Check(int error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException($"The embedded cluster could not {what}: {_api.DescribeError(error)} ({error}).");
    }

    private static byte[] NullTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static int WithUtf8(string text, Func<IntPtr, int> call)
    {
        var bytes = NullTerminated(text);
        fixed (byte* p = bytes) return call((IntPtr)p);
    }

    private static void SetConf(MockApi api, IntPtr conf, string name, string value)
    {
        var n = NullTerminated(name);
        var v = NullTerminated(value);
        var error = stackalloc byte[512];
        fixed (byte* pn = n)
        fixed (byte* pv = v)
        {
            if (api.ConfSet(conf, pn, pv, error, 512) != 0 /* RD_KAFKA_CONF_OK */)
                throw new InvalidOperationException($"librdkafka rejected {name}={value}: {MockApi.Utf8(error)}");
        }
    }
}

/// <summary>Settings of an embedded cluster.</summary>
public sealed class KafkaTestClusterOptions
{
    /// <summary>How long a classic group's first join waits for more members. Zero (the default) makes tests fast;
    /// librdkafka's own default is 3 s.</summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Narrow the classic group APIs to the versions the mock really parses (JoinGroup v0-5, SyncGroup v0-3,
    /// LeaveGroup v0-2), so that a client negotiating the highest advertised version works. Default true.</summary>
    public bool AdvertiseOnlyParsedGroupVersions { get; set; } = true;

    /// <summary>librdkafka's syslog level for the broker's own log lines on stderr (0 = none .. 7 = debug). Default 3 (errors).</summary>
    public int LogLevel { get; set; } = 3;
}

/// <summary>A request a broker received while tracking was on.</summary>
/// <param name="BrokerId">The broker that received it.</param>
/// <param name="ApiKey">Which API it was.</param>
/// <param name="TimestampMicros">When it arrived, in librdkafka's monotonic clock (microseconds).</param>
public readonly record struct TrackedRequest(int BrokerId, ApiKey ApiKey, long TimestampMicros);
