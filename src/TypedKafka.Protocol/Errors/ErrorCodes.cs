namespace TypedKafka.Protocol;

/// <summary>Names, meanings and retriability of <see cref="ErrorCode"/>s.</summary>
/// <remarks>
/// <see cref="IsRetriable"/> follows the Java client as of Kafka 4.x: an error is retriable when its
/// exception class derives from <c>RetriableException</c> (including, through <c>InvalidMetadataException</c>,
/// the "refresh metadata and retry" errors). Older Java clients classified a few differently
/// (CONCURRENT_TRANSACTIONS and REPLICA_NOT_AVAILABLE became retriable later); the modern classification is used.
/// </remarks>
public static class ErrorCodes
{
    private readonly record struct Info(ErrorCode Code, string KafkaName, bool Retriable, string Description);

    private static readonly Info[] Known =
    [
        new(ErrorCode.UnknownServerError, "UNKNOWN_SERVER_ERROR", false, "The broker hit an unexpected internal error (or sent a code this client does not know)."),
        new(ErrorCode.None, "NONE", false, "No error."),
        new(ErrorCode.OffsetOutOfRange, "OFFSET_OUT_OF_RANGE", false, "The requested offset lies outside the partition's current log (before its start or past its end)."),
        new(ErrorCode.CorruptMessage, "CORRUPT_MESSAGE", true, "A record failed its CRC or size check, or is otherwise damaged."),
        new(ErrorCode.UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION", true, "This broker has no such topic or partition (it may not exist yet, or metadata is stale)."),
        new(ErrorCode.InvalidFetchSize, "INVALID_FETCH_SIZE", false, "The fetch size in the request is not acceptable."),
        new(ErrorCode.LeaderNotAvailable, "LEADER_NOT_AVAILABLE", true, "The partition currently has no leader, typically during a leader election."),
        new(ErrorCode.NotLeaderOrFollower, "NOT_LEADER_OR_FOLLOWER", true, "This broker is not the leader (or not a replica) for the partition; refresh metadata."),
        new(ErrorCode.RequestTimedOut, "REQUEST_TIMED_OUT", true, "The broker gave up on the request before it completed."),
        new(ErrorCode.BrokerNotAvailable, "BROKER_NOT_AVAILABLE", false, "The addressed broker is not available."),
        new(ErrorCode.ReplicaNotAvailable, "REPLICA_NOT_AVAILABLE", true, "A replica of the partition is not available on the broker."),
        new(ErrorCode.MessageTooLarge, "MESSAGE_TOO_LARGE", false, "A record batch exceeds the largest size the broker or topic accepts."),
        new(ErrorCode.StaleControllerEpoch, "STALE_CONTROLLER_EPOCH", false, "The request came from a controller whose epoch is out of date."),
        new(ErrorCode.OffsetMetadataTooLarge, "OFFSET_METADATA_TOO_LARGE", false, "The metadata string attached to a committed offset is too long."),
        new(ErrorCode.NetworkException, "NETWORK_EXCEPTION", true, "The connection broke before a response arrived."),
        new(ErrorCode.CoordinatorLoadInProgress, "COORDINATOR_LOAD_IN_PROGRESS", true, "The group or transaction coordinator is still loading its state."),
        new(ErrorCode.CoordinatorNotAvailable, "COORDINATOR_NOT_AVAILABLE", true, "The group or transaction coordinator is not available right now."),
        new(ErrorCode.NotCoordinator, "NOT_COORDINATOR", true, "This broker is not the coordinator for the group or transactional id; find the coordinator again."),
        new(ErrorCode.InvalidTopicException, "INVALID_TOPIC_EXCEPTION", false, "The topic name is invalid or the operation is not allowed on this topic."),
        new(ErrorCode.RecordListTooLarge, "RECORD_LIST_TOO_LARGE", false, "A record batch is larger than the log segment size."),
        new(ErrorCode.NotEnoughReplicas, "NOT_ENOUGH_REPLICAS", true, "Too few in-sync replicas to accept the write."),
        new(ErrorCode.NotEnoughReplicasAfterAppend, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "The write was appended but fewer in-sync replicas than required acknowledged it."),
        new(ErrorCode.InvalidRequiredAcks, "INVALID_REQUIRED_ACKS", false, "The produce acks setting is not one the broker accepts."),
        new(ErrorCode.IllegalGeneration, "ILLEGAL_GENERATION", false, "The group generation id in the request is not the current one."),
        new(ErrorCode.InconsistentGroupProtocol, "INCONSISTENT_GROUP_PROTOCOL", false, "The member's protocol type or protocols do not match the rest of the group."),
        new(ErrorCode.InvalidGroupId, "INVALID_GROUP_ID", false, "The group id is empty or otherwise invalid."),
        new(ErrorCode.UnknownMemberId, "UNKNOWN_MEMBER_ID", false, "The coordinator does not know this member id."),
        new(ErrorCode.InvalidSessionTimeout, "INVALID_SESSION_TIMEOUT", false, "The session timeout is outside the range the broker allows."),
        new(ErrorCode.RebalanceInProgress, "REBALANCE_IN_PROGRESS", false, "The group is rebalancing; the member has to rejoin."),
        new(ErrorCode.InvalidCommitOffsetSize, "INVALID_COMMIT_OFFSET_SIZE", false, "The offset commit request is too large or otherwise invalid in size."),
        new(ErrorCode.TopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED", false, "The principal is not authorized for this topic."),
        new(ErrorCode.GroupAuthorizationFailed, "GROUP_AUTHORIZATION_FAILED", false, "The principal is not authorized for this group."),
        new(ErrorCode.ClusterAuthorizationFailed, "CLUSTER_AUTHORIZATION_FAILED", false, "The principal is not authorized for this cluster-level operation."),
        new(ErrorCode.InvalidTimestamp, "INVALID_TIMESTAMP", false, "A record timestamp is outside the range the broker accepts."),
        new(ErrorCode.UnsupportedSaslMechanism, "UNSUPPORTED_SASL_MECHANISM", false, "The broker does not offer the requested SASL mechanism."),
        new(ErrorCode.IllegalSaslState, "ILLEGAL_SASL_STATE", false, "The request is not allowed at this point of the SASL exchange."),
        new(ErrorCode.UnsupportedVersion, "UNSUPPORTED_VERSION", false, "The broker does not support this version of the API."),
        new(ErrorCode.TopicAlreadyExists, "TOPIC_ALREADY_EXISTS", false, "A topic with this name exists already."),
        new(ErrorCode.InvalidPartitions, "INVALID_PARTITIONS", false, "The partition count is invalid."),
        new(ErrorCode.InvalidReplicationFactor, "INVALID_REPLICATION_FACTOR", false, "The replication factor is invalid or exceeds the number of brokers."),
        new(ErrorCode.InvalidReplicaAssignment, "INVALID_REPLICA_ASSIGNMENT", false, "The manual replica assignment is invalid."),
        new(ErrorCode.InvalidConfig, "INVALID_CONFIG", false, "A configuration value is invalid."),
        new(ErrorCode.NotController, "NOT_CONTROLLER", true, "This broker is not the active controller."),
        new(ErrorCode.InvalidRequest, "INVALID_REQUEST", false, "The broker could not make sense of the request (malformed or sent to an incompatible broker)."),
        new(ErrorCode.UnsupportedForMessageFormat, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "The topic's message format version does not support this request."),
        new(ErrorCode.PolicyViolation, "POLICY_VIOLATION", false, "The request breaks a policy configured on the broker."),
        new(ErrorCode.OutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The idempotent producer sent a sequence number the broker did not expect next."),
        new(ErrorCode.DuplicateSequenceNumber, "DUPLICATE_SEQUENCE_NUMBER", false, "The idempotent producer resent a batch the broker already has."),
        new(ErrorCode.InvalidProducerEpoch, "INVALID_PRODUCER_EPOCH", false, "The producer epoch is older than the current one for this producer id."),
        new(ErrorCode.InvalidTxnState, "INVALID_TXN_STATE", false, "The transactional operation is not valid in the transaction's current state."),
        new(ErrorCode.InvalidProducerIdMapping, "INVALID_PRODUCER_ID_MAPPING", false, "The producer id is not the one currently assigned to the transactional id."),
        new(ErrorCode.InvalidTransactionTimeout, "INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout exceeds the broker's maximum."),
        new(ErrorCode.ConcurrentTransactions, "CONCURRENT_TRANSACTIONS", true, "Another operation on the same transaction is still in progress."),
        new(ErrorCode.TransactionCoordinatorFenced, "TRANSACTION_COORDINATOR_FENCED", false, "A newer transaction coordinator has taken over for this producer."),
        new(ErrorCode.TransactionalIdAuthorizationFailed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "The principal is not authorized for this transactional id."),
        new(ErrorCode.SecurityDisabled, "SECURITY_DISABLED", false, "Security features are not enabled on the broker."),
        new(ErrorCode.OperationNotAttempted, "OPERATION_NOT_ATTEMPTED", false, "The broker skipped this item because another item of the batch failed."),
        new(ErrorCode.KafkaStorageError, "KAFKA_STORAGE_ERROR", true, "The broker hit a disk error accessing the partition's log."),
        new(ErrorCode.LogDirNotFound, "LOG_DIR_NOT_FOUND", false, "The named log directory is not configured on the broker."),
        new(ErrorCode.SaslAuthenticationFailed, "SASL_AUTHENTICATION_FAILED", false, "SASL authentication did not succeed."),
        new(ErrorCode.UnknownProducerId, "UNKNOWN_PRODUCER_ID", false, "The broker no longer has state for this producer id (e.g. its records expired)."),
        new(ErrorCode.ReassignmentInProgress, "REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is already running."),
        new(ErrorCode.DelegationTokenAuthDisabled, "DELEGATION_TOKEN_AUTH_DISABLED", false, "Delegation tokens are not enabled."),
        new(ErrorCode.DelegationTokenNotFound, "DELEGATION_TOKEN_NOT_FOUND", false, "The broker has no such delegation token."),
        new(ErrorCode.DelegationTokenOwnerMismatch, "DELEGATION_TOKEN_OWNER_MISMATCH", false, "The principal is not the token's owner or renewer."),
        new(ErrorCode.DelegationTokenRequestNotAllowed, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "Delegation token requests are refused on this kind of connection."),
        new(ErrorCode.DelegationTokenAuthorizationFailed, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "The principal is not authorized for the delegation token operation."),
        new(ErrorCode.DelegationTokenExpired, "DELEGATION_TOKEN_EXPIRED", false, "The delegation token has expired."),
        new(ErrorCode.InvalidPrincipalType, "INVALID_PRINCIPAL_TYPE", false, "The principal type is not supported."),
        new(ErrorCode.NonEmptyGroup, "NON_EMPTY_GROUP", false, "The operation requires an empty group, but the group has members."),
        new(ErrorCode.GroupIdNotFound, "GROUP_ID_NOT_FOUND", false, "No group with this id exists."),
        new(ErrorCode.FetchSessionIdNotFound, "FETCH_SESSION_ID_NOT_FOUND", true, "The broker has no incremental fetch session with this id (KIP-227)."),
        new(ErrorCode.InvalidFetchSessionEpoch, "INVALID_FETCH_SESSION_EPOCH", true, "The fetch session epoch does not match the broker's (KIP-227)."),
        new(ErrorCode.ListenerNotFound, "LISTENER_NOT_FOUND", true, "The leader has no listener matching the one the metadata request arrived on."),
        new(ErrorCode.TopicDeletionDisabled, "TOPIC_DELETION_DISABLED", false, "Topic deletion is turned off on the broker."),
        new(ErrorCode.FencedLeaderEpoch, "FENCED_LEADER_EPOCH", true, "The leader epoch in the request is older than the broker's (KIP-320)."),
        new(ErrorCode.UnknownLeaderEpoch, "UNKNOWN_LEADER_EPOCH", true, "The leader epoch in the request is newer than the broker knows (KIP-320)."),
        new(ErrorCode.UnsupportedCompressionType, "UNSUPPORTED_COMPRESSION_TYPE", false, "The client cannot be served the partition's compression type at this request version."),
        new(ErrorCode.StaleBrokerEpoch, "STALE_BROKER_EPOCH", false, "The broker epoch in the request is out of date."),
        new(ErrorCode.OffsetNotAvailable, "OFFSET_NOT_AVAILABLE", true, "The new leader's high watermark has not caught up, so the offset cannot be given yet."),
        new(ErrorCode.MemberIdRequired, "MEMBER_ID_REQUIRED", false, "The member must rejoin with the member id the coordinator just assigned (KIP-394)."),
        new(ErrorCode.PreferredLeaderNotAvailable, "PREFERRED_LEADER_NOT_AVAILABLE", true, "The preferred leader cannot take leadership now."),
        new(ErrorCode.GroupMaxSizeReached, "GROUP_MAX_SIZE_REACHED", false, "The group already has its maximum number of members."),
        new(ErrorCode.FencedInstanceId, "FENCED_INSTANCE_ID", false, "Another member with the same group.instance.id took over this static membership (KIP-345)."),
        new(ErrorCode.EligibleLeadersNotAvailable, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "No eligible leader is available for the partition."),
        new(ErrorCode.ElectionNotNeeded, "ELECTION_NOT_NEEDED", true, "The partition does not need a leader election."),
        new(ErrorCode.NoReassignmentInProgress, "NO_REASSIGNMENT_IN_PROGRESS", false, "There is no partition reassignment to cancel."),
        new(ErrorCode.GroupSubscribedToTopic, "GROUP_SUBSCRIBED_TO_TOPIC", false, "Offsets of a topic cannot be deleted while the group is subscribed to it."),
        new(ErrorCode.InvalidRecord, "INVALID_RECORD", false, "The broker rejected a record that failed its validation."),
        new(ErrorCode.UnstableOffsetCommit, "UNSTABLE_OFFSET_COMMIT", true, "Pending transactional offsets must settle before offsets can be fetched (KIP-447)."),
        new(ErrorCode.ThrottlingQuotaExceeded, "THROTTLING_QUOTA_EXCEEDED", true, "The request exceeds a throttling quota; retry later (KIP-599)."),
        new(ErrorCode.ProducerFenced, "PRODUCER_FENCED", false, "A newer producer with the same transactional id has fenced this one."),
        new(ErrorCode.ResourceNotFound, "RESOURCE_NOT_FOUND", false, "The request names a resource that does not exist."),
        new(ErrorCode.DuplicateResource, "DUPLICATE_RESOURCE", false, "The request names the same resource twice."),
        new(ErrorCode.UnacceptableCredential, "UNACCEPTABLE_CREDENTIAL", false, "The credential does not meet the broker's requirements."),
        new(ErrorCode.InconsistentVoterSet, "INCONSISTENT_VOTER_SET", false, "Sender or receiver of a quorum request is not one of the expected voters."),
        new(ErrorCode.InvalidUpdateVersion, "INVALID_UPDATE_VERSION", false, "The update version is invalid."),
        new(ErrorCode.FeatureUpdateFailed, "FEATURE_UPDATE_FAILED", false, "The finalized features could not be updated."),
        new(ErrorCode.PrincipalDeserializationFailure, "PRINCIPAL_DESERIALIZATION_FAILURE", false, "A forwarded request's principal could not be deserialized."),
        new(ErrorCode.SnapshotNotFound, "SNAPSHOT_NOT_FOUND", false, "The requested metadata snapshot does not exist."),
        new(ErrorCode.PositionOutOfRange, "POSITION_OUT_OF_RANGE", false, "The position is outside the snapshot."),
        new(ErrorCode.UnknownTopicId, "UNKNOWN_TOPIC_ID", true, "This broker does not know the topic id (KIP-516)."),
        new(ErrorCode.DuplicateBrokerRegistration, "DUPLICATE_BROKER_REGISTRATION", false, "Another broker already registered with this id."),
        new(ErrorCode.BrokerIdNotRegistered, "BROKER_ID_NOT_REGISTERED", false, "No broker registered with this id."),
        new(ErrorCode.InconsistentTopicId, "INCONSISTENT_TOPIC_ID", true, "The topic id in the request does not match the partition's log."),
        new(ErrorCode.InconsistentClusterId, "INCONSISTENT_CLUSTER_ID", false, "The cluster id in the request does not match the server's."),
        new(ErrorCode.TransactionalIdNotFound, "TRANSACTIONAL_ID_NOT_FOUND", false, "No transaction with this transactional id exists."),
        new(ErrorCode.FetchSessionTopicIdError, "FETCH_SESSION_TOPIC_ID_ERROR", true, "The fetch session mixed topic ids and names inconsistently."),
        new(ErrorCode.IneligibleReplica, "INELIGIBLE_REPLICA", false, "The proposed ISR contains a replica that may not join it."),
        new(ErrorCode.NewLeaderElected, "NEW_LEADER_ELECTED", false, "The partition state changed but leadership moved meanwhile."),
        new(ErrorCode.OffsetMovedToTieredStorage, "OFFSET_MOVED_TO_TIERED_STORAGE", false, "The offset is only available in tiered (remote) storage (KIP-405)."),
        new(ErrorCode.FencedMemberEpoch, "FENCED_MEMBER_EPOCH", false, "The member's epoch is fenced; it must give up its partitions and rejoin (KIP-848)."),
        new(ErrorCode.UnreleasedInstanceId, "UNRELEASED_INSTANCE_ID", false, "The static instance id is still held by another member, which must leave first (KIP-848)."),
        new(ErrorCode.UnsupportedAssignor, "UNSUPPORTED_ASSIGNOR", false, "The group does not support the requested server-side assignor (KIP-848)."),
        new(ErrorCode.StaleMemberEpoch, "STALE_MEMBER_EPOCH", false, "The member epoch is stale; retry after the next heartbeat brings the current one (KIP-848)."),
        new(ErrorCode.MismatchedEndpointType, "MISMATCHED_ENDPOINT_TYPE", false, "The request reached the wrong kind of endpoint (broker vs controller)."),
        new(ErrorCode.UnsupportedEndpointType, "UNSUPPORTED_ENDPOINT_TYPE", false, "This kind of endpoint is not supported yet."),
        new(ErrorCode.UnknownControllerId, "UNKNOWN_CONTROLLER_ID", false, "The controller id is not known."),
        new(ErrorCode.UnknownSubscriptionId, "UNKNOWN_SUBSCRIPTION_ID", false, "The telemetry subscription id is unknown or outdated (KIP-714)."),
        new(ErrorCode.TelemetryTooLarge, "TELEMETRY_TOO_LARGE", false, "The pushed telemetry exceeds the broker's limit (KIP-714)."),
        new(ErrorCode.InvalidRegistration, "INVALID_REGISTRATION", false, "The controller judged the broker registration invalid."),
        new(ErrorCode.TransactionAbortable, "TRANSACTION_ABORTABLE", false, "The transaction hit an error; abort it to keep using the transactional id (KIP-890)."),
        new(ErrorCode.InvalidRecordState, "INVALID_RECORD_STATE", false, "A share-group acknowledgement refers to a record in the wrong state (KIP-932)."),
        new(ErrorCode.ShareSessionNotFound, "SHARE_SESSION_NOT_FOUND", true, "The broker has no such share session (KIP-932)."),
        new(ErrorCode.InvalidShareSessionEpoch, "INVALID_SHARE_SESSION_EPOCH", true, "The share session epoch does not match (KIP-932)."),
        new(ErrorCode.FencedStateEpoch, "FENCED_STATE_EPOCH", false, "The share-group state epoch did not match (KIP-932)."),
        new(ErrorCode.InvalidVoterKey, "INVALID_VOTER_KEY", false, "The voter key does not match the receiving replica (KIP-853)."),
        new(ErrorCode.DuplicateVoter, "DUPLICATE_VOTER", false, "The voter is already in the voter set (KIP-853)."),
        new(ErrorCode.VoterNotFound, "VOTER_NOT_FOUND", false, "The voter is not in the voter set (KIP-853)."),
        new(ErrorCode.InvalidRegularExpression, "INVALID_REGULAR_EXPRESSION", false, "The subscription regular expression is invalid (KIP-848)."),
        new(ErrorCode.RebootstrapRequired, "REBOOTSTRAP_REQUIRED", false, "The client's metadata is too stale; it should bootstrap again (KIP-1102)."),
        new(ErrorCode.StreamsInvalidTopology, "STREAMS_INVALID_TOPOLOGY", false, "The streams topology sent is invalid (KIP-1071)."),
        new(ErrorCode.StreamsInvalidTopologyEpoch, "STREAMS_INVALID_TOPOLOGY_EPOCH", false, "The streams topology epoch is invalid (KIP-1071)."),
        new(ErrorCode.StreamsTopologyFenced, "STREAMS_TOPOLOGY_FENCED", false, "The streams topology epoch is outdated (KIP-1071)."),
        new(ErrorCode.ShareSessionLimitReached, "SHARE_SESSION_LIMIT_REACHED", true, "The broker already has its maximum number of share sessions (KIP-932)."),
    ];

    private static readonly Dictionary<ErrorCode, Info> ByCode = Known.ToDictionary(i => i.Code);

    /// <summary>Every error code this version of TypedKafka knows.</summary>
    public static IReadOnlyList<ErrorCode> All { get; } = Known.Select(i => i.Code).ToArray();

    /// <summary>Whether <paramref name="code"/> is defined here (a broker newer than TypedKafka can send others).</summary>
    public static bool IsKnown(ErrorCode code) => ByCode.ContainsKey(code);

    /// <summary>True for errors worth retrying (after a back-off, and for metadata errors after a metadata refresh). Unknown codes: false.</summary>
    public static bool IsRetriable(ErrorCode code) => ByCode.TryGetValue(code, out var info) && info.Retriable;

    /// <summary>Kafka's constant name, e.g. <c>NOT_LEADER_OR_FOLLOWER</c>; <c>UNKNOWN_ERROR_CODE_n</c> for codes not defined here.</summary>
    public static string KafkaName(ErrorCode code) =>
        ByCode.TryGetValue(code, out var info) ? info.KafkaName : $"UNKNOWN_ERROR_CODE_{(short)code}";

    /// <summary>One line on what the error means.</summary>
    public static string Describe(ErrorCode code) =>
        ByCode.TryGetValue(code, out var info) ? info.Description : $"Error code {(short)code} is not known to this version of TypedKafka.";

    /// <summary>Converts a wire value; any short is accepted.</summary>
    public static ErrorCode FromWire(short code) => (ErrorCode)code;
}
