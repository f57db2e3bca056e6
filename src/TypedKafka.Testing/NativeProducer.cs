using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TypedKafka.Protocol;
using TypedKafka.Testing.Native;

namespace TypedKafka.Testing;

/// <summary>
/// A producer for seeding test data that calls librdkafka's C API directly (<c>rd_kafka_produceva</c>, delivery reports
/// through <c>rd_kafka_conf_set_dr_msg_cb</c>), in the same librdkafka file the embedded cluster loads. Unlike
/// <see cref="TestProducer"/> it uses neither Confluent.Kafka nor reflection, so it is safe in trimmed and Native AOT
/// applications (the sample publishes with <c>PublishAot</c>). It works with any cluster, not only an embedded one.
/// </summary>
/// <remarks>
/// <para>Thread safety: every member may be called from any thread, and several <see cref="ProduceAsync(string, IEnumerable{TestRecord}, CancellationToken)"/>
/// or <see cref="ProduceManyAsync"/> calls may run at once (each waits only for its own records; the order of records from
/// concurrent calls to one partition is unspecified). <see cref="Dispose"/> waits for calls that are enqueueing, flushes
/// for <see cref="NativeProducerOptions.DisposeFlushTimeout"/>, destroys the handle and fails whatever is still waiting
/// with <see cref="ObjectDisposedException"/>; it must not be called from <see cref="NativeProducerOptions.LogHandler"/>.</para>
/// <para>Delivery reports are served by one background thread that calls <c>rd_kafka_poll</c>. The native callbacks find
/// this producer through one <see cref="GCHandle"/> (the handle's opaque), allocated by the constructor and freed by
/// <see cref="Dispose"/> after <c>rd_kafka_destroy</c> has returned, so no callback can see a freed handle. Each record
/// carries a plain number as its message opaque (call id and index), not a handle, so nothing leaks when a report
/// never comes.</para>
/// <para>Only 64-bit processes are supported (the <c>rd_kafka_vu_t</c> layout is mapped for 64-bit).</para>
/// </remarks>
public sealed class NativeProducer : IDisposable
{
    private const int QueueFull = -184; // RD_KAFKA_RESP_ERR__QUEUE_FULL
    private const int OffsetInvalid = -1001; // RD_KAFKA_OFFSET_INVALID
    private const int DisposingFlag = int.MinValue;

    private readonly MockApi _api;
    private readonly NativeProducerOptions _options;
    private readonly ConcurrentDictionary<int, Delivery> _pending = new();
    private readonly Thread _poller;
    private GCHandle _self;
    private IntPtr _handle;
    private int _users; // produce calls inside native code; DisposingFlag once Dispose started
    private int _nextCallId;
    private volatile bool _stopPolling;
    private int _disposed;

    private unsafe NativeProducer(string bootstrapServers, NativeProducerOptions options)
    {
        _api = MockApi.Instance;
        _options = options;
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        var conf = _api.ConfNew();
        try
        {
            Set(conf, "bootstrap.servers", bootstrapServers);
            Set(conf, "client.id", options.ClientId);
            Set(conf, "acks", "all");
            Set(conf, "enable.idempotence", options.Idempotent ? "true" : "false");
            Set(conf, "linger.ms", Invariant(options.Linger.TotalMilliseconds));
            Set(conf, "batch.num.messages", Invariant(options.BatchNumMessages));
            Set(conf, "message.timeout.ms", Invariant((long)options.MessageTimeout.TotalMilliseconds));
            Set(conf, "queue.buffering.max.messages", "1000000");
            Set(conf, "compression.codec", options.Compression switch
            {
                TestCompression.None => "none",
                TestCompression.Gzip => "gzip",
                TestCompression.Snappy => "snappy",
                TestCompression.Lz4 => "lz4",
                TestCompression.Zstd => "zstd",
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Compression, "Unknown compression."),
            });
            foreach (var (key, value) in options.Extra) Set(conf, key, value);
            _api.ConfSetOpaque(conf, GCHandle.ToIntPtr(_self));
            _api.ConfSetDeliveryReportCallback(conf, &OnDelivery);
            _api.ConfSetLogCallback(conf, &OnLog);

            var error = stackalloc byte[512];
            _handle = _api.KafkaNew(0 /* RD_KAFKA_PRODUCER */, conf, error, 512); // owns conf on success
            if (_handle == IntPtr.Zero)
                throw new InvalidOperationException($"librdkafka ({_api.Library.Path}) refused to create a producer for {bootstrapServers}: {MockApi.Utf8(error)}");
        }
        catch
        {
            if (_handle == IntPtr.Zero) _api.ConfDestroy(conf);
            _self.Free();
            throw;
        }
        _poller = new Thread(PollLoop) { IsBackground = true, Name = "typedkafka-native-producer-poll" };
        _poller.Start();
    }

    /// <summary>Creates a producer for <paramref name="bootstrapServers"/> (an embedded cluster's or a real one's). Dispose it.</summary>
    /// <exception cref="PlatformNotSupportedException">The process is not 64-bit.</exception>
    /// <exception cref="DllNotFoundException">librdkafka could not be loaded; the message lists each file tried.</exception>
    /// <exception cref="InvalidOperationException">librdkafka rejected a setting (the message names it).</exception>
    public static NativeProducer Create(string bootstrapServers, NativeProducerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(bootstrapServers);
        if (!Environment.Is64BitProcess)
            throw new PlatformNotSupportedException("NativeProducer maps librdkafka's rd_kafka_vu_t for 64-bit processes only.");
        return new NativeProducer(bootstrapServers, options ?? new NativeProducerOptions());
    }

    /// <summary>The librdkafka file this producer calls.</summary>
    public string NativeLibraryPath => _api.Library.Path;

    /// <summary>librdkafka's version string, e.g. <c>2.16.0</c>.</summary>
    public string NativeVersion => _api.Version;

    /// <summary>
    /// Writes <paramref name="records"/> to <paramref name="topic"/> and waits until the brokers acknowledged or librdkafka
    /// gave up on every one. Returns where each record was written, in the order given. Order is kept per partition.
    /// </summary>
    /// <remarks>A record's offset is -1001 (librdkafka's RD_KAFKA_OFFSET_INVALID) in the rare case librdkafka could not
    /// learn it (a retried idempotent write). Cancelling stops enqueueing and waiting; records already handed to
    /// librdkafka are still written.</remarks>
    /// <exception cref="NativeProduceException">A record failed (after retries) or librdkafka refused to enqueue it; the
    /// message names the topic, the error and the first failed record.</exception>
    public async Task<IReadOnlyList<ProducedRecord>> ProduceAsync(string topic, IEnumerable<TestRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(records);
        var list = records as IReadOnlyList<TestRecord> ?? records.ToArray();
        var topicName = NullTerminated(topic, nameof(topic));
        for (var i = 0; i < list.Count; i++) Validate(list[i], i); // nothing is written when an argument is wrong
        var delivery = Register(new Delivery(topic, list.Count, keepResults: true));
        try
        {
            for (var i = 0; i < list.Count; i++)
            {
                var record = list[i];
                while (!Enqueue(delivery, topicName, record, i))
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false); // librdkafka's queue is full
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            delivery.Seal();
        }
        await delivery.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        delivery.ThrowIfFailed();
        return delivery.Results!;
    }

    /// <summary>Writes records with <see cref="ProduceAsync(string, IEnumerable{TestRecord}, CancellationToken)"/>.</summary>
    public Task<IReadOnlyList<ProducedRecord>> ProduceAsync(string topic, params TestRecord[] records) =>
        ProduceAsync(topic, (IEnumerable<TestRecord>)records);

    /// <summary>Writes <paramref name="count"/> records made by <paramref name="factory"/> as fast as librdkafka takes
    /// them, for loading benchmark data, without keeping where each went. Completes once all are acknowledged.</summary>
    /// <exception cref="NativeProduceException">Any record failed; the message names the first one and how many failed.</exception>
    public Task ProduceManyAsync(string topic, int count, Func<int, TestRecord> factory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(factory);
        var topicName = NullTerminated(topic, nameof(topic));
        return Task.Run(async () =>
        {
            var delivery = Register(new Delivery(topic, count, keepResults: false));
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var record = factory(i) ?? throw new InvalidOperationException($"The factory returned null for record {i}.");
                    while (!Enqueue(delivery, topicName, record, i))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Thread.Sleep(1); // librdkafka's queue is full: the poll thread drains it
                    }
                    if ((i & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
                }
            }
            finally
            {
                delivery.Seal();
            }
            await delivery.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            delivery.ThrowIfFailed();
        }, cancellationToken);
    }

    /// <summary>Waits for calls that are enqueueing, flushes what librdkafka still holds for up to
    /// <see cref="NativeProducerOptions.DisposeFlushTimeout"/>, then destroys the native handle. Idempotent.</summary>
    public unsafe void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;

        // No new native calls; wait for those in progress.
        int users;
        do users = _users; while (Interlocked.CompareExchange(ref _users, users | DisposingFlag, users) != users);
        var spin = new SpinWait();
        while ((Volatile.Read(ref _users) & ~DisposingFlag) != 0) spin.SpinOnce();

        _stopPolling = true;
        _poller.Join();
        var handle = _handle;
        _handle = IntPtr.Zero;
        _api.Flush(handle, checked((int)_options.DisposeFlushTimeout.TotalMilliseconds)); // serves the last reports here
        _api.KafkaDestroy(handle); // no callback runs after this returns
        foreach (var delivery in _pending.Values)
            delivery.Abandon(new ObjectDisposedException(nameof(NativeProducer),
                $"The producer was disposed before every record to '{delivery.Topic}' was acknowledged."));
        _pending.Clear();
        _self.Free();
    }

    private Delivery Register(Delivery delivery)
    {
        while (true)
        {
            var id = Interlocked.Increment(ref _nextCallId);
            if (_pending.TryAdd(id, delivery))
            {
                delivery.Attach(id, _pending);
                return delivery;
            }
        }
    }

    /// <summary>Hands one record to librdkafka (which copies key, value, headers and topic). Returns false when its queue
    /// is full; throws when it refuses the record for another reason or the producer is disposed.</summary>
    private unsafe bool Enqueue(Delivery delivery, byte[] topicName, TestRecord record, int index)
    {
        var timestamp = Validate(record, index);
        var headers = record.Headers;
        var headerCount = headers?.Count ?? 0;
        var scratch = headerCount == 0 ? [] : PackHeaders(headers!);

        // One slot each: topic, flags, opaque, key, value, partition?, timestamp?, headers.
        var slots = 7 + headerCount;
        var vus = slots <= 32 ? stackalloc RdKafkaVu[slots] : new RdKafkaVu[slots];
        byte empty = 0; // a non-null address for empty (not null) keys, values and header values
        var error = IntPtr.Zero;

        if (!TryEnter()) throw new ObjectDisposedException(nameof(NativeProducer));
        delivery.Add();
        try
        {
            fixed (byte* topicPtr = topicName)
            fixed (byte* keyPtr = record.Key)
            fixed (byte* valuePtr = record.Value)
            fixed (byte* scratchPtr = scratch)
            fixed (RdKafkaVu* vu = vus)
            {
                var n = 0;
                vu[n++] = RdKafkaVu.Of(RdKafkaVu.TopicName, (IntPtr)topicPtr);
                vu[n++] = RdKafkaVu.OfInt32(RdKafkaVu.MessageFlags, RdKafkaVu.FlagCopy);
                vu[n++] = RdKafkaVu.Of(RdKafkaVu.MessageOpaque, (IntPtr)(((long)delivery.Id << 32) | (uint)index));
                vu[n++] = Memory(RdKafkaVu.Key, record.Key, keyPtr, &empty);
                vu[n++] = Memory(RdKafkaVu.Value, record.Value, valuePtr, &empty);
                if (record.Partition is int partition) vu[n++] = RdKafkaVu.OfInt32(RdKafkaVu.Partition, partition);
                if (timestamp != 0) vu[n++] = RdKafkaVu.OfInt64(RdKafkaVu.Timestamp, timestamp);
                if (headerCount > 0)
                {
                    var at = 0;
                    foreach (var (_, value) in headers!)
                    {
                        var nameLength = ReadInt32(scratch, at);
                        var name = scratchPtr + at + 4;
                        at += 4 + nameLength + 1;
                        if (value is null)
                        {
                            vu[n++] = RdKafkaVu.OfHeader((IntPtr)name, IntPtr.Zero, 0);
                        }
                        else
                        {
                            vu[n++] = RdKafkaVu.OfHeader((IntPtr)name, value.Length == 0 ? (IntPtr)(&empty) : (IntPtr)(scratchPtr + at), value.Length);
                            at += value.Length;
                        }
                    }
                }
                error = _api.ProduceVa(_handle, vu, (nuint)n);
            }
        }
        finally
        {
            if (error != IntPtr.Zero) delivery.Remove(); // no report comes for a record librdkafka refused
            Exit();
        }

        if (error == IntPtr.Zero) return true;
        var code = _api.ErrorObjectCode(error);
        var reason = MockApi.Utf8(_api.ErrorObjectString(error));
        _api.ErrorObjectDestroy(error);
        if (code == QueueFull) return false;
        throw new NativeProduceException(delivery.Topic, (ErrorCode)code, _api.ErrorName(code), reason, index, record.Partition ?? -1, failedCount: 1,
            $"librdkafka refused record {index} for '{delivery.Topic}'{(record.Partition is int p ? $" partition {p}" : "")}: {reason} ({_api.ErrorName(code)}, {code}).");
    }

    /// <summary>Checks what librdkafka would misread; returns the timestamp in Unix milliseconds (0: let librdkafka stamp it).</summary>
    private static long Validate(TestRecord? record, int index)
    {
        if (record is null) throw new ArgumentException($"Record {index} is null.", nameof(record));
        if (record.Partition is < 0)
            throw new ArgumentOutOfRangeException(nameof(record), record.Partition, $"Record {index} has a negative partition.");
        if (record.Timestamp is not DateTimeOffset ts) return 0;
        var timestamp = ts.ToUnixTimeMilliseconds();
        if (timestamp <= 0)
            throw new ArgumentOutOfRangeException(nameof(record), ts,
                $"Record {index} has a timestamp at or before the Unix epoch; librdkafka treats 0 as \"now\" and cannot write it.");
        return timestamp;
    }

    private static unsafe RdKafkaVu Memory(int type, byte[]? bytes, byte* pinned, byte* empty) =>
        bytes is null ? RdKafkaVu.OfMemory(type, IntPtr.Zero, 0)
        : RdKafkaVu.OfMemory(type, bytes.Length == 0 ? (IntPtr)empty : (IntPtr)pinned, (nuint)bytes.Length);

    /// <summary>Lays every header out in one array (pinned once): [name length][UTF-8 name][0][value bytes] per header.</summary>
    private static byte[] PackHeaders(IReadOnlyList<KeyValuePair<string, byte[]?>> headers)
    {
        var length = 1;
        foreach (var (name, value) in headers)
        {
            ArgumentNullException.ThrowIfNull(name, "header name");
            if (name.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException($"Header name '{name.Replace('\0', '?')}' contains a NUL character.", nameof(headers));
            length += 4 + Encoding.UTF8.GetByteCount(name) + 1 + (value?.Length ?? 0);
        }
        var buffer = new byte[length];
        var at = 0;
        foreach (var (name, value) in headers)
        {
            var written = Encoding.UTF8.GetBytes(name, buffer.AsSpan(at + 4));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), written);
            at += 4 + written + 1; // the 0 terminator is already there
            if (value is { Length: > 0 })
            {
                value.CopyTo(buffer, at);
                at += value.Length;
            }
        }
        return buffer;
    }

    private static int ReadInt32(byte[] buffer, int at) => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at));

    private bool TryEnter()
    {
        while (true)
        {
            var users = Volatile.Read(ref _users);
            if ((users & DisposingFlag) != 0) return false;
            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users) return true;
        }
    }

    private void Exit() => Interlocked.Decrement(ref _users);

    private unsafe void PollLoop()
    {
        var handle = _handle;
        while (!_stopPolling) _api.Poll(handle, 50);
    }

    private unsafe void Set(IntPtr conf, string name, string value)
    {
        var n = NullTerminated(name, nameof(name));
        var v = NullTerminated(value, nameof(value));
        var error = stackalloc byte[512];
        fixed (byte* pn = n)
        fixed (byte* pv = v)
        {
            if (_api.ConfSet(conf, pn, pv, error, 512) != 0 /* RD_KAFKA_CONF_OK */)
                throw new InvalidOperationException($"librdkafka rejected the producer setting {name}={value}: {MockApi.Utf8(error)}");
        }
    }

    private static string Invariant(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] NullTerminated(string text, string parameter)
    {
        if (text.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("The text contains a NUL character.", parameter);
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    // Called by rd_kafka_poll / rd_kafka_flush on the thread that polls, once per record librdkafka accepted.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnDelivery(IntPtr rk, RdKafkaMessage* message, IntPtr opaque)
    {
        try
        {
            if (message is null || opaque == IntPtr.Zero || GCHandle.FromIntPtr(opaque).Target is not NativeProducer producer) return;
            var tag = (long)message->Opaque;
            if (producer._pending.TryGetValue((int)(tag >> 32), out var delivery))
                delivery.Report((int)(uint)tag, message->Error, message->Partition, message->Offset, producer._api);
        }
        catch
        {
            // An exception must not unwind into librdkafka. Report only updates this producer's own state and runs no user code.
        }
    }

    // librdkafka's log lines (from its own threads); dropped unless a LogHandler is set.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnLog(IntPtr rk, int level, byte* facility, byte* text)
    {
        try
        {
            var api = MockApi.Instance;
            var opaque = rk == IntPtr.Zero ? IntPtr.Zero : api.Opaque(rk);
            if (opaque == IntPtr.Zero || GCHandle.FromIntPtr(opaque).Target is not NativeProducer producer) return;
            producer._options.LogHandler?.Invoke(level, MockApi.Utf8(facility), MockApi.Utf8(text));
        }
        catch
        {
            // A failing log handler must not unwind into librdkafka.
        }
    }

    /// <summary>The records of one produce call: results by index, how many reports are still due, the first failure.</summary>
    private sealed class Delivery(string topic, int count, bool keepResults)
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly object _failureGate = new();
        private ConcurrentDictionary<int, Delivery>? _registry;
        private int _remaining = 1; // the enqueuer's own token, released by Seal
        private int _failed;
        private int _firstFailedIndex = int.MaxValue;
        private int _firstFailedError;
        private int _firstFailedPartition;
        private string? _firstFailedName;
        private string? _firstFailedReason;

        public string Topic { get; } = topic;
        public int Id { get; private set; }
        public ProducedRecord[]? Results { get; } = keepResults ? new ProducedRecord[count] : null;
        public Task Completion => _completion.Task;

        public void Attach(int id, ConcurrentDictionary<int, Delivery> registry)
        {
            Id = id;
            _registry = registry;
        }

        public void Add() => Interlocked.Increment(ref _remaining);

        public void Remove() => Release();

        public void Seal() => Release();

        public void Report(int index, int error, int partition, long offset, MockApi api)
        {
            if (error == 0)
            {
                if (Results is { } results && (uint)index < (uint)results.Length)
                    results[index] = new ProducedRecord(Topic, partition, offset);
            }
            else
            {
                Interlocked.Increment(ref _failed);
                lock (_failureGate)
                {
                    if (index < _firstFailedIndex)
                    {
                        _firstFailedIndex = index;
                        _firstFailedError = error;
                        _firstFailedPartition = partition;
                        _firstFailedName = api.ErrorName(error);
                        _firstFailedReason = api.DescribeError(error);
                    }
                }
            }
            Release();
        }

        public void Abandon(Exception error) => _completion.TrySetException(error);

        public void ThrowIfFailed()
        {
            var failed = Volatile.Read(ref _failed);
            if (failed == 0) return;
            lock (_failureGate)
            {
                var where = _firstFailedPartition >= 0 ? $" (partition {_firstFailedPartition})" : "";
                throw new NativeProduceException(Topic, (ErrorCode)_firstFailedError, _firstFailedName!, _firstFailedReason!, _firstFailedIndex,
                    _firstFailedPartition, failed,
                    $"Producing to '{Topic}' failed: {failed} record(s) were not written; the first is record {_firstFailedIndex}{where}: "
                    + $"{_firstFailedReason} ({_firstFailedName}, {_firstFailedError}).");
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _remaining) != 0) return;
            _registry?.TryRemove(Id, out _);
            _completion.TrySetResult();
        }
    }
}

/// <summary>A record <see cref="NativeProducer"/> could not write: librdkafka refused it, or its delivery failed after retries.</summary>
public sealed class NativeProduceException : Exception
{
    internal NativeProduceException(string topic, ErrorCode error, string errorName, string reason, int recordIndex, int partition, int failedCount, string message)
        : base(message)
    {
        Topic = topic;
        Error = error;
        ErrorName = errorName;
        Reason = reason;
        RecordIndex = recordIndex;
        Partition = partition;
        FailedCount = failedCount;
    }

    /// <summary>The topic written to.</summary>
    public string Topic { get; }

    /// <summary>librdkafka's error code for the first failed record: a Kafka protocol error (positive) or one of
    /// librdkafka's local errors (negative, e.g. -192 for a message timeout), cast to <see cref="ErrorCode"/>.</summary>
    public ErrorCode Error { get; }

    /// <summary>librdkafka's name of <see cref="Error"/>, e.g. <c>_MSG_TIMED_OUT</c> or <c>TOPIC_AUTHORIZATION_FAILED</c>.</summary>
    public string ErrorName { get; }

    /// <summary>librdkafka's description of the error.</summary>
    public string Reason { get; }

    /// <summary>The position of the first failed record in the call.</summary>
    public int RecordIndex { get; }

    /// <summary>The partition of the first failed record, or -1 when none was chosen.</summary>
    public int Partition { get; }

    /// <summary>How many records of the call failed.</summary>
    public int FailedCount { get; }
}

/// <summary>Settings of a <see cref="NativeProducer"/> (librdkafka producer settings).</summary>
public sealed class NativeProducerOptions
{
    /// <summary>The client id the brokers see. Default <c>typedkafka-native-producer</c>.</summary>
    public string ClientId { get; set; } = "typedkafka-native-producer";

    /// <summary>The codec of the batches the producer writes (librdkafka's compression.codec). Default none.</summary>
    public TestCompression Compression { get; set; } = TestCompression.None;

    /// <summary>How long the producer waits to fill a batch (librdkafka's linger.ms). Default 5 ms.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Records per batch at most (librdkafka's batch.num.messages). Default 10,000.</summary>
    public int BatchNumMessages { get; set; } = 10_000;

    /// <summary>Idempotent writes (KIP-98), which also keep order under retries. Default true.</summary>
    public bool Idempotent { get; set; } = true;

    /// <summary>How long a record may take to be acknowledged before it fails (librdkafka's message.timeout.ms). Default 30 s.</summary>
    public TimeSpan MessageTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="NativeProducer.Dispose"/> waits for records still in flight. Default 5 s.</summary>
    public TimeSpan DisposeFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Receives librdkafka's log lines (syslog level, facility, text), on librdkafka's own threads. Null (the
    /// default) drops them. It must not block for long, throw, or dispose the producer.</summary>
    public Action<int, string, string>? LogHandler { get; set; }

    /// <summary>Any other librdkafka producer setting, by its dotted name (applied last, so it wins).</summary>
    public IDictionary<string, string> Extra { get; } = new Dictionary<string, string>();
}
