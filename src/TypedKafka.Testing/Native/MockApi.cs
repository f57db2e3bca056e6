namespace TypedKafka.Testing.Native;

/// <summary>The librdkafka C functions the embedded cluster and <see cref="NativeProducer"/> call (from rdkafka.h and
/// rdkafka_mock.h, 2.16), resolved once from the loaded library. Pointers are opaque: rd_kafka_t*, rd_kafka_conf_t*,
/// rd_kafka_mock_cluster_t*, rd_kafka_error_t*. Only non-variadic functions are used.</summary>
internal sealed unsafe class MockApi
{
    private static MockApi? _instance;
    private static readonly object Gate = new();

    public readonly delegate* unmanaged[Cdecl]<IntPtr> ConfNew;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int> ConfSet;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> ConfDestroy;
    public readonly delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr> KafkaNew;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> KafkaDestroy;
    public readonly delegate* unmanaged[Cdecl]<int, byte*> ErrorToString;
    public readonly delegate* unmanaged[Cdecl]<byte*> VersionString;

    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr> ClusterNew;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> ClusterDestroy;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*> ClusterBootstraps;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> TopicCreate;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, void> TopicSetError;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> PartitionSetLeader;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> PartitionSetFollower;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, long, long, int> PartitionSetFollowerWatermarks;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, long, int> PartitionDeleteRecords;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> BrokerSetDown;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> BrokerSetUp;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, int, int> BrokerSetRtt;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, byte*, int> BrokerSetRack;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void> PushRequestErrorsArray;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, short, void> ClearRequestErrors;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, int, int> CoordinatorSet;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, short, short, short, int> SetApiVersion;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> GroupInitialRebalanceDelayMs;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> SetConsumerGroupSessionTimeoutMs;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> SetConsumerGroupHeartbeatIntervalMs;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> StartRequestTracking;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> StopRequestTracking;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> ClearRequests;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, nuint*, IntPtr*> GetRequests;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int> RequestBrokerId;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, short> RequestApiKey;
    public readonly delegate* unmanaged[Cdecl]<IntPtr, long> RequestTimestamp;
    public readonly delegate* unmanaged[Cdecl]<IntPtr*, nuint, void> RequestDestroyArray;

    // Producer API, used by NativeProducer (rdkafka.h).
    /// <summary>rd_kafka_conf_set_opaque(conf, opaque): the opaque every callback of the handle receives.</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> ConfSetOpaque;
    /// <summary>rd_kafka_conf_set_dr_msg_cb(conf, void (*)(rd_kafka_t*, const rd_kafka_message_t*, void* opaque)).</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, RdKafkaMessage*, IntPtr, void>, void> ConfSetDeliveryReportCallback;
    /// <summary>rd_kafka_conf_set_log_cb(conf, void (*)(const rd_kafka_t*, int level, const char* fac, const char* buf)).</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, int, byte*, byte*, void>, void> ConfSetLogCallback;
    /// <summary>rd_kafka_opaque(rk): the opaque set with rd_kafka_conf_set_opaque.</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, IntPtr> Opaque;
    /// <summary>rd_kafka_produceva(rk, const rd_kafka_vu_t* vus, size_t cnt): null on success, else an rd_kafka_error_t* to destroy.</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, RdKafkaVu*, nuint, IntPtr> ProduceVa;
    /// <summary>rd_kafka_poll(rk, timeout_ms): serves queued callbacks (delivery reports, logs); returns how many.</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> Poll;
    /// <summary>rd_kafka_flush(rk, timeout_ms): polls until every queued message is delivered or failed, or the timeout.</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> Flush;
    /// <summary>rd_kafka_outq_len(rk): messages and requests still waiting to be sent or acknowledged.</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int> OutQueueLength;
    /// <summary>rd_kafka_err2name(err): the symbolic name without the RD_KAFKA_RESP_ERR_ prefix.</summary>
    public readonly delegate* unmanaged[Cdecl]<int, byte*> ErrorToName;
    /// <summary>rd_kafka_error_code(const rd_kafka_error_t*).</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, int> ErrorObjectCode;
    /// <summary>rd_kafka_error_string(const rd_kafka_error_t*).</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, byte*> ErrorObjectString;
    /// <summary>rd_kafka_error_destroy(rd_kafka_error_t*).</summary>
    public readonly delegate* unmanaged[Cdecl]<IntPtr, void> ErrorObjectDestroy;

    private MockApi(LoadedLibrary lib)
    {
        Library = lib;
        ConfNew = (delegate* unmanaged[Cdecl]<IntPtr>)lib.Export("rd_kafka_conf_new");
        ConfSet = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int>)lib.Export("rd_kafka_conf_set");
        ConfDestroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_conf_destroy");
        KafkaNew = (delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr>)lib.Export("rd_kafka_new");
        KafkaDestroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_destroy");
        ErrorToString = (delegate* unmanaged[Cdecl]<int, byte*>)lib.Export("rd_kafka_err2str");
        VersionString = (delegate* unmanaged[Cdecl]<byte*>)lib.Export("rd_kafka_version_str");
        ClusterNew = (delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr>)lib.Export("rd_kafka_mock_cluster_new");
        ClusterDestroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_mock_cluster_destroy");
        ClusterBootstraps = (delegate* unmanaged[Cdecl]<IntPtr, byte*>)lib.Export("rd_kafka_mock_cluster_bootstraps");
        TopicCreate = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)lib.Export("rd_kafka_mock_topic_create");
        TopicSetError = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, void>)lib.Export("rd_kafka_mock_topic_set_error");
        PartitionSetLeader = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)lib.Export("rd_kafka_mock_partition_set_leader");
        PartitionSetFollower = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)lib.Export("rd_kafka_mock_partition_set_follower");
        PartitionSetFollowerWatermarks = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, long, long, int>)lib.Export("rd_kafka_mock_partition_set_follower_wmarks");
        PartitionDeleteRecords = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, long, int>)lib.Export("rd_kafka_mock_partition_delete_records");
        BrokerSetDown = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)lib.Export("rd_kafka_mock_broker_set_down");
        BrokerSetUp = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)lib.Export("rd_kafka_mock_broker_set_up");
        BrokerSetRtt = (delegate* unmanaged[Cdecl]<IntPtr, int, int, int>)lib.Export("rd_kafka_mock_broker_set_rtt");
        BrokerSetRack = (delegate* unmanaged[Cdecl]<IntPtr, int, byte*, int>)lib.Export("rd_kafka_mock_broker_set_rack");
        PushRequestErrorsArray = (delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void>)lib.Export("rd_kafka_mock_push_request_errors_array");
        ClearRequestErrors = (delegate* unmanaged[Cdecl]<IntPtr, short, void>)lib.Export("rd_kafka_mock_clear_request_errors");
        CoordinatorSet = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, int, int>)lib.Export("rd_kafka_mock_coordinator_set");
        SetApiVersion = (delegate* unmanaged[Cdecl]<IntPtr, short, short, short, int>)lib.Export("rd_kafka_mock_set_apiversion");
        GroupInitialRebalanceDelayMs = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)lib.Export("rd_kafka_mock_group_initial_rebalance_delay_ms");
        SetConsumerGroupSessionTimeoutMs = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)lib.Export("rd_kafka_mock_set_group_consumer_session_timeout_ms");
        SetConsumerGroupHeartbeatIntervalMs = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)lib.Export("rd_kafka_mock_set_group_consumer_heartbeat_interval_ms");
        StartRequestTracking = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_mock_start_request_tracking");
        StopRequestTracking = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_mock_stop_request_tracking");
        ClearRequests = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_mock_clear_requests");
        GetRequests = (delegate* unmanaged[Cdecl]<IntPtr, nuint*, IntPtr*>)lib.Export("rd_kafka_mock_get_requests");
        RequestBrokerId = (delegate* unmanaged[Cdecl]<IntPtr, int>)lib.Export("rd_kafka_mock_request_id");
        RequestApiKey = (delegate* unmanaged[Cdecl]<IntPtr, short>)lib.Export("rd_kafka_mock_request_api_key");
        RequestTimestamp = (delegate* unmanaged[Cdecl]<IntPtr, long>)lib.Export("rd_kafka_mock_request_timestamp");
        RequestDestroyArray = (delegate* unmanaged[Cdecl]<IntPtr*, nuint, void>)lib.Export("rd_kafka_mock_request_destroy_array");
        ConfSetOpaque = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void>)lib.Export("rd_kafka_conf_set_opaque");
        ConfSetDeliveryReportCallback = (delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, RdKafkaMessage*, IntPtr, void>, void>)lib.Export("rd_kafka_conf_set_dr_msg_cb");
        ConfSetLogCallback = (delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, int, byte*, byte*, void>, void>)lib.Export("rd_kafka_conf_set_log_cb");
        Opaque = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)lib.Export("rd_kafka_opaque");
        ProduceVa = (delegate* unmanaged[Cdecl]<IntPtr, RdKafkaVu*, nuint, IntPtr>)lib.Export("rd_kafka_produceva");
        Poll = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)lib.Export("rd_kafka_poll");
        Flush = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)lib.Export("rd_kafka_flush");
        OutQueueLength = (delegate* unmanaged[Cdecl]<IntPtr, int>)lib.Export("rd_kafka_outq_len");
        ErrorToName = (delegate* unmanaged[Cdecl]<int, byte*>)lib.Export("rd_kafka_err2name");
        ErrorObjectCode = (delegate* unmanaged[Cdecl]<IntPtr, int>)lib.Export("rd_kafka_error_code");
        ErrorObjectString = (delegate* unmanaged[Cdecl]<IntPtr, byte*>)lib.Export("rd_kafka_error_string");
        ErrorObjectDestroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)lib.Export("rd_kafka_error_destroy");
    }

    public LoadedLibrary Library { get; }

    public static MockApi Instance
    {
        get
        {
            lock (Gate)
            {
                return _instance ??= new MockApi(LibrdkafkaLibrary.Load());
            }
        }
    }

    public string Version => Utf8(VersionString());

    public string DescribeError(int code) => Utf8(ErrorToString(code));

    /// <summary>librdkafka's symbolic name of an error code, e.g. <c>_MSG_TIMED_OUT</c> or <c>TOPIC_AUTHORIZATION_FAILED</c>.</summary>
    public string ErrorName(int code) => Utf8(ErrorToName(code));

    public static string Utf8(byte* text) =>
        text is null ? string.Empty : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;
}

/// <summary>
/// <c>rd_kafka_message_t</c> as rdkafka.h (2.16) declares it; sequential layout gives the C alignment on every ABI.
/// A delivery report callback receives one per produced message.
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct RdKafkaMessage
{
    /// <summary>rd_kafka_resp_err_t err: 0, or why delivery failed.</summary>
    public int Error;
    /// <summary>rd_kafka_topic_t* rkt.</summary>
    public IntPtr Topic;
    /// <summary>int32_t partition.</summary>
    public int Partition;
    /// <summary>void* payload.</summary>
    public IntPtr Payload;
    /// <summary>size_t len.</summary>
    public nuint Length;
    /// <summary>void* key.</summary>
    public IntPtr Key;
    /// <summary>size_t key_len.</summary>
    public nuint KeyLength;
    /// <summary>int64_t offset: the offset the broker assigned (or -1001, RD_KAFKA_OFFSET_INVALID, when unknown).</summary>
    public long Offset;
    /// <summary>void* _private: for a producer, the per-message opaque (RD_KAFKA_VTYPE_OPAQUE).</summary>
    public IntPtr Opaque;
}

/// <summary>
/// <c>rd_kafka_vu_t</c> from rdkafka.h (2.16): an <c>rd_kafka_vtype_t</c> tag followed by a union padded to 64 bytes.
/// On 64-bit platforms the union starts at offset 8 (pointer alignment) and the struct is 72 bytes; fields of the
/// union's members: <c>cstr</c>/<c>ptr</c>/<c>i32</c>/<c>i64</c> at 8, <c>mem.size</c> at 16, <c>header.val</c> at 16 and
/// <c>header.size</c> (ssize_t) at 24. <see cref="NativeProducer"/> only runs in 64-bit processes.
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 72)]
internal struct RdKafkaVu
{
    // rd_kafka_vtype_t values, in header order.
    public const int End = 0;
    public const int TopicName = 1;
    public const int TopicHandle = 2;
    public const int Partition = 3;
    public const int Value = 4;
    public const int Key = 5;
    public const int MessageOpaque = 6;
    public const int MessageFlags = 7;
    public const int Timestamp = 8;
    public const int Header = 9;
    public const int Headers = 10;

    /// <summary>RD_KAFKA_MSG_F_COPY: librdkafka copies key and value before produceva returns.</summary>
    public const int FlagCopy = 0x2;

    /// <summary>rd_kafka_vtype_t vtype.</summary>
    [System.Runtime.InteropServices.FieldOffset(0)] public int Type;
    /// <summary>u.cstr, u.ptr, u.mem.ptr, u.header.name.</summary>
    [System.Runtime.InteropServices.FieldOffset(8)] public IntPtr Pointer;
    /// <summary>u.i, u.i32.</summary>
    [System.Runtime.InteropServices.FieldOffset(8)] public int Int32;
    /// <summary>u.i64.</summary>
    [System.Runtime.InteropServices.FieldOffset(8)] public long Int64;
    /// <summary>u.mem.size, u.header.val.</summary>
    [System.Runtime.InteropServices.FieldOffset(16)] public IntPtr Second;
    /// <summary>u.header.size (ssize_t).</summary>
    [System.Runtime.InteropServices.FieldOffset(24)] public IntPtr Third;

    public static RdKafkaVu Of(int type, IntPtr pointer) => new() { Type = type, Pointer = pointer };
    public static RdKafkaVu OfInt32(int type, int value) => new() { Type = type, Int32 = value };
    public static RdKafkaVu OfInt64(int type, long value) => new() { Type = type, Int64 = value };
    public static RdKafkaVu OfMemory(int type, IntPtr pointer, nuint size) => new() { Type = type, Pointer = pointer, Second = (IntPtr)size };
    public static RdKafkaVu OfHeader(IntPtr name, IntPtr value, nint size) => new() { Type = Header, Pointer = name, Second = value, Third = size };
}
