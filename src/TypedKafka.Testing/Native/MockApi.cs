namespace TypedKafka.Testing.Native;

/// <summary>The librdkafka C functions the embedded cluster calls (from rdkafka.h and rdkafka_mock.h, 2.16),
/// resolved once from the loaded library. Pointers are opaque: rd_kafka_t*, rd_kafka_conf_t*, rd_kafka_mock_cluster_t*.</summary>
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

    public static string Utf8(byte* text) =>
        text is null ? string.Empty : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;
}
