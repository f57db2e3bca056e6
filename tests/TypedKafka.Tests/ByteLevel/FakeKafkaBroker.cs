using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using TypedKafka.Protocol;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>One request as the fake broker received it: decoded with the generated request codecs.</summary>
internal sealed record ReceivedRequest(int Sequence, int BrokerId, int ConnectionId, ApiKey Api, short Version, int CorrelationId, string? ClientId, object? Body)
{
    public FetchRequest Fetch => (FetchRequest)Body!;

    public ListOffsetsRequest ListOffsets => (ListOffsetsRequest)Body!;

    public MetadataRequest Metadata => (MetadataRequest)Body!;
}

/// <summary>What the broker does with one request: answer with a message, with raw body bytes, or drop the connection.</summary>
internal sealed class Reply
{
    private Reply()
    {
    }

    public IKafkaResponse? Response { get; private init; }

    /// <summary>Body bytes sent after a correct response header (for garbage bodies).</summary>
    public byte[]? RawBody { get; private init; }

    /// <summary>Close the connection instead of answering.</summary>
    public bool Drop { get; private init; }

    /// <summary>Waits this long before answering (a Fetch long poll); later requests on the connection wait too, as on a broker.</summary>
    public TimeSpan Delay { get; init; }

    public static Reply With(IKafkaResponse response, TimeSpan delay = default) => new() { Response = response, Delay = delay };

    public static Reply Raw(byte[] body) => new() { RawBody = body };

    public static Reply DropConnection => new() { Drop = true };

    public static implicit operator Reply(FetchResponse response) => With(response);

    public static implicit operator Reply(ListOffsetsResponse response) => With(response);

    public static implicit operator Reply(MetadataResponse response) => With(response);
}

/// <summary>A ListOffsets question for one partition.</summary>
internal readonly record struct OffsetQuery(string Topic, int Partition, long Timestamp, int CurrentLeaderEpoch, sbyte IsolationLevel, int Call);

/// <summary>The answer to one <see cref="OffsetQuery"/>.</summary>
internal readonly record struct OffsetAnswer(long Offset, long Timestamp = -1, int LeaderEpoch = -1, ErrorCode Error = ErrorCode.None);

/// <summary>One partition of a Fetch request (names resolved from topic ids for v13+).</summary>
internal readonly record struct FetchedPartition(string Topic, int Partition, long FetchOffset, int CurrentLeaderEpoch, int LastFetchedEpoch, int MaxBytes);

/// <summary>What the cluster looks like: brokers (each fake broker adds itself), topics, partitions, leaders, epochs and logs.
/// Several brokers share one cluster so that their Metadata answers agree.</summary>
internal sealed class FakeCluster
{
    private readonly Dictionary<string, FakeTopic> _topics = new(StringComparer.Ordinal);

    public object Gate { get; } = new();

    public List<FakeKafkaBroker> Brokers { get; } = [];

    public string ClusterId { get; set; } = "fake-cluster";

    /// <summary>Adds a topic with a topic id; every partition led by <paramref name="leader"/> (default: the first broker).</summary>
    public FakeTopic AddTopic(string name, int partitions = 1, int? leader = null, int leaderEpoch = 0, bool withTopicId = true)
    {
        lock (Gate)
        {
            var id = withTopicId ? new KafkaUuid(0x5EED_0000_0000_0000 + _topics.Count + 1, 0x0A0B_0C0D_0000_0000 + name.Length) : KafkaUuid.Zero;
            var topic = new FakeTopic(name, id, [.. Enumerable.Range(0, partitions).Select(i => new FakePartition(i)
            {
                LeaderId = leader ?? Brokers[0].NodeId,
                LeaderEpoch = leaderEpoch,
            })]);
            _topics[name] = topic;
            return topic;
        }
    }

    public FakeTopic Topic(string name)
    {
        lock (Gate) return _topics[name];
    }

    public IReadOnlyList<FakeTopic> Topics
    {
        get { lock (Gate) return [.. _topics.Values]; }
    }

    public FakeTopic? Find(string name)
    {
        lock (Gate) return _topics.GetValueOrDefault(name);
    }

    public FakeTopic? Find(KafkaUuid id)
    {
        lock (Gate) return _topics.Values.FirstOrDefault(t => t.Id == id);
    }

    public PartitionLog Log(string topic, int partition = 0) => Topic(topic).Partitions[partition].Log;
}

internal sealed record FakeTopic(string Name, KafkaUuid Id, IReadOnlyList<FakePartition> Partitions);

internal sealed class FakePartition(int index)
{
    public int Index { get; } = index;

    public volatile int LeaderId;

    /// <summary>The epoch Metadata advertises and the default Fetch handler enforces (FENCED/UNKNOWN_LEADER_EPOCH).</summary>
    public volatile int LeaderEpoch;

    public ErrorCode Error { get; set; }

    public PartitionLog Log { get; } = new();
}

/// <summary>A partition's log: whole batches in offset order, an aborted-transaction index, log start and last stable offset.</summary>
internal sealed class PartitionLog
{
    private readonly object _gate = new();
    private readonly List<(long Base, long Last, byte[] Bytes)> _batches = [];
    private readonly List<(long ProducerId, long FirstOffset, long LastOffset)> _aborted = [];
    private long? _logStart;
    private long? _lastStable;
    private long? _highWatermark;

    /// <summary>Appends one or more complete batches (as written by <see cref="RecordBatchBuilder"/>, possibly concatenated).</summary>
    public void Append(byte[] batches)
    {
        var position = 0;
        lock (_gate)
        {
            while (position < batches.Length)
            {
                var size = BinaryPrimitives.ReadInt32BigEndian(batches.AsSpan(position + 8)) + 12;
                var baseOffset = BinaryPrimitives.ReadInt64BigEndian(batches.AsSpan(position));
                var lastDelta = BinaryPrimitives.ReadInt32BigEndian(batches.AsSpan(position + 23));
                _batches.Add((baseOffset, baseOffset + lastDelta, batches.AsSpan(position, size).ToArray()));
                position += size;
            }
        }
    }

    /// <summary>Records an aborted transaction (what the broker's transaction index holds): producer, first offset, abort marker offset.</summary>
    public void AddAbortedTransaction(long producerId, long firstOffset, long markerOffset)
    {
        lock (_gate) _aborted.Add((producerId, firstOffset, markerOffset));
    }

    /// <summary>The first offset (the first batch's base offset unless set explicitly).</summary>
    public long LogStartOffset
    {
        get { lock (_gate) return _logStart ?? (_batches.Count == 0 ? 0 : _batches[0].Base); }
        set { lock (_gate) _logStart = value; }
    }

    /// <summary>One past the last offset (unless set explicitly).</summary>
    public long HighWatermark
    {
        get { lock (_gate) return _highWatermark ?? (_batches.Count == 0 ? _logStart ?? 0 : _batches[^1].Last + 1); }
        set { lock (_gate) _highWatermark = value; }
    }

    /// <summary>The last stable offset (defaults to the high watermark); read_committed fetches stop there.</summary>
    public long LastStableOffset
    {
        get { lock (_gate) return _lastStable ?? HighWatermark; }
        set { lock (_gate) _lastStable = value; }
    }

    /// <summary>Drops every batch at or after <paramref name="offset"/> (a leader's log truncated after an unclean election);
    /// <paramref name="offset"/> must be a batch boundary, as epochs change only between batches.</summary>
    public void TruncateTo(long offset)
    {
        lock (_gate)
        {
            if (_batches.Any(b => b.Base < offset && b.Last >= offset))
                throw new ArgumentException($"Offset {offset} is inside a batch; truncate at a batch boundary.", nameof(offset));
            _batches.RemoveAll(b => b.Base >= offset);
            _highWatermark = null;
        }
    }

    /// <summary>The batches a broker returns for a fetch at <paramref name="fetchOffset"/>: the one holding it and the
    /// following ones while they fit in <paramref name="maxBytes"/> (the first always, KIP-74), below <paramref name="limit"/>.</summary>
    public (byte[] Records, long LastOffset) Read(long fetchOffset, int maxBytes, long limit)
    {
        lock (_gate)
        {
            var output = new ArrayBufferWriter<byte>();
            long last = -1;
            foreach (var (baseOffset, lastOffset, bytes) in _batches)
            {
                if (lastOffset < fetchOffset || baseOffset >= limit) continue;
                if (output.WrittenCount > 0 && output.WrittenCount + bytes.Length > maxBytes) break;
                output.Write(bytes);
                last = lastOffset;
            }
            return (output.WrittenSpan.ToArray(), last);
        }
    }

    public IReadOnlyList<(long ProducerId, long FirstOffset)> AbortedOverlapping(long from, long to)
    {
        lock (_gate) return [.. _aborted.Where(a => a.LastOffset >= from && a.FirstOffset <= to).Select(a => (a.ProducerId, a.FirstOffset))];
    }
}

/// <summary>One Fetch request handed to a script: the request, its partitions (for an incremental session request, every
/// partition of the session), and helpers to answer from the cluster's logs.</summary>
internal sealed class FetchCall(FakeKafkaBroker broker, ReceivedRequest received, IReadOnlyList<FetchedPartition> partitions, bool incremental, int index)
{
    public FakeKafkaBroker Broker { get; } = broker;

    public ReceivedRequest Received { get; } = received;

    public FetchRequest Request => Received.Fetch;

    public short Version => Received.Version;

    /// <summary>Partitions to answer for (session partitions for an incremental request).</summary>
    public IReadOnlyList<FetchedPartition> Partitions { get; } = partitions;

    public bool Incremental { get; } = incremental;

    /// <summary>0 for this broker's first Fetch, then 1, 2...</summary>
    public int Index { get; } = index;

    public FetchedPartition Single => Partitions.Single();

    /// <summary>Answers as a broker does from the logs: epoch fencing, out-of-range, KIP-74 sizing, the aborted-transaction
    /// index under read_committed, and a long poll of up to MaxWaitMs when there is nothing to return.</summary>
    public Reply FromLog(Func<FetchedPartition, FetchResponse.PartitionData?>? overrides = null)
    {
        var response = new FetchResponse();
        var anything = false;
        foreach (var topic in Partitions.GroupBy(p => p.Topic))
        {
            var answer = new FetchResponse.FetchableTopicResponse { Topic = topic.Key };
            foreach (var p in topic)
            {
                var data = overrides?.Invoke(p) ?? PartitionFromLog(p);
                if (Incremental && data.ErrorCode == 0 && data.Records is not { Length: > 0 }) continue;
                anything |= data.ErrorCode != 0 || data.Records is { Length: > 0 };
                answer.Partitions.Add(data);
            }
            if (answer.Partitions.Count > 0) response.Responses.Add(answer);
        }
        var wait = anything ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Clamp(Request.MaxWaitMs, 0, 500));
        return Reply.With(response, wait);
    }

    /// <summary>One partition's answer from its log.</summary>
    public FetchResponse.PartitionData PartitionFromLog(FetchedPartition p)
    {
        var partition = Broker.Cluster.Find(p.Topic)?.Partitions.ElementAtOrDefault(p.Partition);
        if (partition is null) return new FetchResponse.PartitionData { PartitionIndex = p.Partition, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition, HighWatermark = -1 };
        var log = partition.Log;
        var data = new FetchResponse.PartitionData
        {
            PartitionIndex = p.Partition,
            HighWatermark = log.HighWatermark,
            LastStableOffset = log.LastStableOffset,
            LogStartOffset = log.LogStartOffset,
        };
        var epoch = partition.LeaderEpoch;
        if (p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch != epoch)
        {
            data.ErrorCode = (short)(p.CurrentLeaderEpoch < epoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch);
            return data;
        }
        if (p.FetchOffset < log.LogStartOffset || p.FetchOffset > log.HighWatermark)
        {
            data.ErrorCode = (short)ErrorCode.OffsetOutOfRange;
            return data;
        }
        var readCommitted = Request.IsolationLevel == 1;
        var (records, last) = log.Read(p.FetchOffset, p.MaxBytes, readCommitted ? log.LastStableOffset : log.HighWatermark);
        data.Records = records;
        if (readCommitted && last >= 0)
        {
            data.AbortedTransactions = [.. log.AbortedOverlapping(p.FetchOffset, last)
                .Select(a => new FetchResponse.AbortedTransaction { ProducerId = a.ProducerId, FirstOffset = a.FirstOffset })];
        }
        return data;
    }
}

/// <summary>
/// A scriptable Kafka broker for byte-level consumer tests: a TcpListener on 127.0.0.1:0 that frames and decodes
/// requests with the generated codecs, records them, and answers ApiVersions (configurable ranges), Metadata (from its
/// <see cref="FakeCluster"/>), ListOffsets (scripted per timestamp, logs by default) and Fetch (scripted per request,
/// logs by default, optionally with broker-side KIP-227 sessions). Requests on one connection are read as they come
/// (pipelined) and answered in order, as a broker does. Anything can be overridden with <see cref="Intercept"/>,
/// including dropping the connection.
/// </summary>
internal sealed class FakeKafkaBroker : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connectionTasks = [];
    private readonly Dictionary<int, Socket> _sockets = [];
    private readonly List<ReceivedRequest> _requests = [];
    private readonly Dictionary<int, (Dictionary<(string, int), FetchedPartition> Partitions, int NextEpoch)> _sessions = [];
    private int _nextSessionId;
    private int _connections;
    private int _sequence;
    private int _fetchCount;
    private int _listOffsetsCount;

    public FakeKafkaBroker(int nodeId = 1, FakeCluster? cluster = null, string? rack = null)
    {
        NodeId = nodeId;
        Rack = rack;
        Cluster = cluster ?? new FakeCluster();
        lock (Cluster.Gate) Cluster.Brokers.Add(this);
        _nextSessionId = nodeId * 1000;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        AdvertisedPort = Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int NodeId { get; }

    public string? Rack { get; }

    public int Port { get; }

    /// <summary>The port Metadata (and a scripted FindCoordinator) names for this broker: its own unless a proxy in
    /// front of it must be used.</summary>
    public int AdvertisedPort { get; set; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public FakeCluster Cluster { get; }

    /// <summary>The ApiVersions answer: per API, the range this broker claims. Edit before the consumer connects.</summary>
    public Dictionary<ApiKey, (short Min, short Max)> ApiVersions { get; } = new()
    {
        [ApiKey.ApiVersions] = (0, 4),
        [ApiKey.Metadata] = (0, 12),
        [ApiKey.ListOffsets] = (0, 7),
        [ApiKey.Fetch] = (0, 16),
    };

    /// <summary>Called first for every request; a non-null reply replaces the built-in handling.</summary>
    public Func<ReceivedRequest, Reply?>? Intercept { get; set; }

    /// <summary>Answers Fetch requests (default: <see cref="FetchCall.FromLog"/>).</summary>
    public Func<FetchCall, Reply>? FetchHandler { get; set; }

    /// <summary>Answers ListOffsets per partition (default: earliest/latest from the logs, -1 for any timestamp).</summary>
    public Func<OffsetQuery, OffsetAnswer>? ListOffsetsHandler { get; set; }

    /// <summary>Keeps KIP-227 fetch sessions: a full request with epoch 0 opens one, incremental requests are checked
    /// (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH) and merged, responses carry only changed partitions.</summary>
    public bool FetchSessions { get; set; }

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connections);

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    public IReadOnlyList<ReceivedRequest> RequestsOf(ApiKey api)
    {
        lock (_requests) return [.. _requests.Where(r => r.Api == api)];
    }

    public IReadOnlyList<FetchRequest> Fetches => [.. RequestsOf(ApiKey.Fetch).Select(r => r.Fetch)];

    /// <summary>Forgets the sessions it holds (as a broker that evicted them).</summary>
    public void EvictFetchSessions()
    {
        lock (_sessions) _sessions.Clear();
    }

    /// <summary>Closes every open client connection (the listener keeps accepting new ones).</summary>
    public void DropConnections()
    {
        List<Socket> sockets;
        lock (_sockets) sockets = [.. _sockets.Values];
        foreach (var socket in sockets) Close(socket);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener.Stop();
        DropConnections();
        Task[] tasks;
        lock (_connectionTasks) tasks = [.. _connectionTasks, _acceptLoop];
        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
        }
        _stop.Dispose();
    }

    public override string ToString() => $"fake broker {NodeId} at {BootstrapServers}";

    // ---------------------------------------------------------------- connections

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            var id = Interlocked.Increment(ref _connections);
            lock (_sockets) _sockets[id] = socket;
            lock (_connectionTasks) _connectionTasks.Add(Task.Run(() => ServeAsync(id, socket)));
        }
    }

    private async Task ServeAsync(int connectionId, Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                var frames = new List<byte[]>();
                while (KafkaFraming.TryReadFrame(ref buffer, 64 * 1024 * 1024, out var frame)) frames.Add(frame.ToArray());
                reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var frame in frames)
                {
                    var (reply, received) = Handle(connectionId, frame);
                    if (reply.Drop)
                    {
                        Close(socket);
                        return;
                    }
                    if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, _stop.Token);
                    await stream.WriteAsync(Encode(reply, received), _stop.Token);
                }
                if (result.IsCompleted) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_sockets) _sockets.Remove(connectionId);
            Close(socket);
            await reader.CompleteAsync();
            await stream.DisposeAsync();
        }
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    private static byte[] Encode(Reply reply, ReceivedRequest received)
    {
        if (reply.Response is { } response) return KafkaFrames.EncodeResponse(response, received.Version, received.CorrelationId);
        var headerVersion = HeaderVersions.ResponseHeaderVersion((short)received.Api, received.Version);
        var body = reply.RawBody ?? [];
        var headerSize = headerVersion >= 1 ? 5 : 4;
        var frame = new byte[4 + headerSize + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, headerSize + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), received.CorrelationId);
        body.CopyTo(frame.AsSpan(4 + headerSize)); // header v1: the tagged-field count byte stays 0
        return frame;
    }

    // ---------------------------------------------------------------- requests

    private (Reply Reply, ReceivedRequest Received) Handle(int connectionId, byte[] frame)
    {
        var reader = new KafkaReader(frame);
        var header = KafkaFrames.DecodeRequestHeader(ref reader);
        var api = (ApiKey)header.RequestApiKey;
        var version = header.RequestApiVersion;
        object? body = api switch
        {
            ApiKey.ApiVersions when version <= ApiVersionsRequest.HighestSupportedVersion => ApiVersionsRequest.Read(ref reader, version),
            ApiKey.Metadata => MetadataRequest.Read(ref reader, version),
            ApiKey.ListOffsets => ListOffsetsRequest.Read(ref reader, version),
            ApiKey.Fetch => FetchRequest.Read(ref reader, version),
            // Group APIs are decoded for scripts (Intercept) and assertions only; by default they are still not spoken here.
            ApiKey.FindCoordinator => FindCoordinatorRequest.Read(ref reader, version),
            ApiKey.JoinGroup => JoinGroupRequest.Read(ref reader, version),
            ApiKey.SyncGroup => SyncGroupRequest.Read(ref reader, version),
            ApiKey.Heartbeat => HeartbeatRequest.Read(ref reader, version),
            ApiKey.LeaveGroup => LeaveGroupRequest.Read(ref reader, version),
            ApiKey.OffsetFetch => OffsetFetchRequest.Read(ref reader, version),
            ApiKey.OffsetCommit => OffsetCommitRequest.Read(ref reader, version),
            _ => null,
        };
        ReceivedRequest received;
        lock (_requests)
        {
            received = new ReceivedRequest(++_sequence, NodeId, connectionId, api, version, header.CorrelationId, header.ClientId, body);
            _requests.Add(received);
        }
        if (Intercept?.Invoke(received) is { } intercepted) return (intercepted, received);
        var reply = api switch
        {
            ApiKey.ApiVersions => AnswerApiVersions(received),
            ApiKey.Metadata => AnswerMetadata(received),
            ApiKey.ListOffsets => AnswerListOffsets(received),
            ApiKey.Fetch => AnswerFetch(received),
            _ => Reply.DropConnection, // not spoken here
        };
        if (reply.Response is FetchResponse fetch) Normalize(fetch, version);
        return (reply, received);
    }

    private Reply AnswerApiVersions(ReceivedRequest received)
    {
        var response = new ApiVersionsResponse
        {
            ApiKeys = [.. ApiVersions.Select(a => new ApiVersionsResponse.ApiVersion { ApiKey = (short)a.Key, MinVersion = a.Value.Min, MaxVersion = a.Value.Max })],
        };
        if (received.Version > ApiVersions[ApiKey.ApiVersions].Max)
        {
            // KIP-511: refuse in the v0 format, listing our ranges, so the client can ask again at a version we know.
            response.ErrorCode = (short)ErrorCode.UnsupportedVersion;
            return Reply.Raw(EncodeBody(response, 0));
        }
        return Reply.With(response);
    }

    private static byte[] EncodeBody(IKafkaMessage message, short version)
    {
        var bytes = new byte[message.ComputeSize(version)];
        var writer = new KafkaWriter(bytes);
        message.Write(ref writer, version);
        return bytes;
    }

    private Reply AnswerMetadata(ReceivedRequest received)
    {
        var request = received.Metadata;
        var response = new MetadataResponse { ClusterId = Cluster.ClusterId };
        lock (Cluster.Gate)
        {
            response.ControllerId = Cluster.Brokers[0].NodeId;
            foreach (var broker in Cluster.Brokers)
                response.Brokers.Add(new MetadataResponse.MetadataResponseBroker { NodeId = broker.NodeId, Host = "127.0.0.1", Port = broker.AdvertisedPort, Rack = broker.Rack });
            var replicas = Cluster.Brokers.Select(b => b.NodeId).ToList();
            var names = request.Topics is null || (received.Version == 0 && request.Topics.Count == 0)
                ? Cluster.Topics.Select(t => t.Name)
                : request.Topics.Select(t => t.Name ?? Cluster.Find(t.TopicId)?.Name ?? "");
            foreach (var name in names)
            {
                var topic = Cluster.Find(name);
                if (topic is null)
                {
                    response.Topics.Add(new MetadataResponse.MetadataResponseTopic { Name = name, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition });
                    continue;
                }
                response.Topics.Add(new MetadataResponse.MetadataResponseTopic
                {
                    Name = topic.Name,
                    TopicId = topic.Id,
                    Partitions = [.. topic.Partitions.Select(p => new MetadataResponse.MetadataResponsePartition
                    {
                        PartitionIndex = p.Index,
                        ErrorCode = (short)p.Error,
                        LeaderId = p.LeaderId,
                        LeaderEpoch = p.LeaderEpoch,
                        ReplicaNodes = [.. replicas],
                        IsrNodes = [.. replicas],
                    })],
                });
            }
        }
        return response;
    }

    private Reply AnswerListOffsets(ReceivedRequest received)
    {
        var request = received.ListOffsets;
        var version = received.Version;
        var call = Interlocked.Increment(ref _listOffsetsCount) - 1;
        var response = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var answerTopic = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            foreach (var p in topic.Partitions)
            {
                var query = new OffsetQuery(topic.Name, p.PartitionIndex, p.Timestamp, p.CurrentLeaderEpoch, request.IsolationLevel, call);
                var answer = ListOffsetsHandler?.Invoke(query) ?? DefaultOffsets(query);
                var partition = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = p.PartitionIndex, ErrorCode = (short)answer.Error };
                if (version == 0)
                {
                    partition.OldStyleOffsets = answer.Offset >= 0 ? [answer.Offset] : [];
                }
                else
                {
                    partition.Offset = answer.Offset;
                    partition.Timestamp = answer.Timestamp;
                    if (version >= 4) partition.LeaderEpoch = answer.LeaderEpoch;
                }
                answerTopic.Partitions.Add(partition);
            }
            response.Topics.Add(answerTopic);
        }
        return response;
    }

    private OffsetAnswer DefaultOffsets(OffsetQuery query)
    {
        var partition = Cluster.Find(query.Topic)?.Partitions.ElementAtOrDefault(query.Partition);
        if (partition is null) return new OffsetAnswer(-1, Error: ErrorCode.UnknownTopicOrPartition);
        if (query.CurrentLeaderEpoch >= 0 && query.CurrentLeaderEpoch < partition.LeaderEpoch) return new OffsetAnswer(-1, Error: ErrorCode.FencedLeaderEpoch);
        return query.Timestamp switch
        {
            -2 => new OffsetAnswer(partition.Log.LogStartOffset, -1, partition.LeaderEpoch),
            -1 => new OffsetAnswer(query.IsolationLevel == 1 ? partition.Log.LastStableOffset : partition.Log.HighWatermark, -1, partition.LeaderEpoch),
            _ => new OffsetAnswer(-1), // as librdkafka's mock: no timestamp index
        };
    }

    private Reply AnswerFetch(ReceivedRequest received)
    {
        var request = received.Fetch;
        var version = received.Version;
        var inRequest = new List<FetchedPartition>();
        foreach (var topic in request.Topics)
        {
            var name = version >= 13 ? Cluster.Find(topic.TopicId)?.Name ?? $"unknown-id-{topic.TopicId}" : topic.Topic;
            foreach (var p in topic.Partitions)
                inRequest.Add(new FetchedPartition(name, p.Partition, p.FetchOffset, p.CurrentLeaderEpoch, p.LastFetchedEpoch, p.PartitionMaxBytes));
        }

        IReadOnlyList<FetchedPartition> partitions = inRequest;
        var incremental = false;
        var sessionId = 0;
        if (FetchSessions && version >= 7)
        {
            lock (_sessions)
            {
                if (request.SessionEpoch is 0 or -1)
                {
                    _sessions.Remove(request.SessionId);
                    if (request.SessionEpoch == 0)
                    {
                        sessionId = ++_nextSessionId;
                        _sessions[sessionId] = (inRequest.ToDictionary(p => (p.Topic, p.Partition)), 1);
                    }
                }
                else if (!_sessions.TryGetValue(request.SessionId, out var session))
                {
                    return TopLevelError(ErrorCode.FetchSessionIdNotFound);
                }
                else if (session.NextEpoch != request.SessionEpoch)
                {
                    return TopLevelError(ErrorCode.InvalidFetchSessionEpoch);
                }
                else
                {
                    foreach (var p in inRequest) session.Partitions[(p.Topic, p.Partition)] = p;
                    foreach (var forgotten in request.ForgottenTopicsData)
                    {
                        var name = version >= 13 ? Cluster.Find(forgotten.TopicId)?.Name ?? "" : forgotten.Topic;
                        foreach (var index in forgotten.Partitions) session.Partitions.Remove((name, index));
                    }
                    _sessions[request.SessionId] = (session.Partitions, session.NextEpoch + 1);
                    partitions = [.. session.Partitions.Values];
                    incremental = true;
                    sessionId = request.SessionId;
                }
            }
        }

        var call = new FetchCall(this, received, partitions, incremental, Interlocked.Increment(ref _fetchCount) - 1);
        var reply = FetchHandler?.Invoke(call) ?? call.FromLog();
        if (reply.Response is FetchResponse response && response.ErrorCode == 0 && response.SessionId == 0) response.SessionId = sessionId;
        return reply;
    }

    private static Reply TopLevelError(ErrorCode error) => new FetchResponse { ErrorCode = (short)error };

    /// <summary>Makes a scripted FetchResponse valid at the request's version: topic ids from v13, names before, and
    /// fields the version does not have reset to their defaults.</summary>
    private void Normalize(FetchResponse response, short version)
    {
        if (version < 7) response.SessionId = 0;
        if (version < 16) response.NodeEndpoints.Clear();
        foreach (var topic in response.Responses)
        {
            if (version >= 13 && topic.TopicId.IsZero) topic.TopicId = Cluster.Find(topic.Topic)?.Id ?? KafkaUuid.Zero;
            if (version < 13 && topic.Topic.Length == 0) topic.Topic = Cluster.Find(topic.TopicId)?.Name ?? "";
            foreach (var p in topic.Partitions)
            {
                if (version < 11) p.PreferredReadReplica = -1;
                if (version < 12)
                {
                    p.DivergingEpoch = new FetchResponse.EpochEndOffset();
                    p.CurrentLeader = new FetchResponse.LeaderIdAndEpoch();
                    p.SnapshotId = new FetchResponse.SnapshotId();
                }
            }
        }
    }
}
