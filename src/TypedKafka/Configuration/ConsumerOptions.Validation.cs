using System.Globalization;

namespace TypedKafka;

public sealed partial class ConsumerOptions
{
    /// <summary>Checks every setting and the rules between them.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; <see cref="ArgumentException.ParamName"/> and the message name it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw Invalid(nameof(BootstrapServers), BootstrapServers, "at least one host:port is required");
        _ = ParseBootstrapServers(BootstrapServers);
        Require(ClientId is not null, nameof(ClientId), ClientId, "must not be null (use an empty string for none)");
        Require(GroupId is null || GroupId.Trim().Length > 0, nameof(GroupId), GroupId, "must not be empty; use null for no group");
        Require(GroupInstanceId is null || GroupInstanceId.Trim().Length > 0, nameof(GroupInstanceId), GroupInstanceId, "must not be empty; use null for dynamic membership");
        Require(GroupInstanceId is null || GroupId is not null, nameof(GroupInstanceId), GroupInstanceId, "needs a GroupId");
        Require(Topics is not null && Topics.All(t => !string.IsNullOrWhiteSpace(t)), nameof(Topics), Topics is null ? null : string.Join(",", Topics), "must not contain empty topic names");
        Require(FetchMinBytes >= 0, nameof(FetchMinBytes), FetchMinBytes, "must be 0 or more");
        RequireMs(FetchMaxWait, nameof(FetchMaxWait), allowZero: true);
        Require(FetchMaxBytes >= 1, nameof(FetchMaxBytes), FetchMaxBytes, "must be at least 1");
        Require(MaxPartitionFetchBytes >= 1, nameof(MaxPartitionFetchBytes), MaxPartitionFetchBytes, "must be at least 1");
        RequireMs(RequestTimeout, nameof(RequestTimeout), allowZero: false);
        Require(RequestTimeout > FetchMaxWait, nameof(RequestTimeout), RequestTimeout,
            $"must be longer than FetchMaxWait ({FetchMaxWait}), or every fetch that waits would time out");
        RequireMs(RetryBackoff, nameof(RetryBackoff), allowZero: true);
        RequireMs(ReconnectBackoff, nameof(ReconnectBackoff), allowZero: true);
        RequireMs(ReconnectBackoffMax, nameof(ReconnectBackoffMax), allowZero: true);
        Require(ReconnectBackoffMax >= ReconnectBackoff, nameof(ReconnectBackoffMax), ReconnectBackoffMax, $"must be at least ReconnectBackoff ({ReconnectBackoff})");
        Require(MaxInFlightRequestsPerConnection >= 1, nameof(MaxInFlightRequestsPerConnection), MaxInFlightRequestsPerConnection, "must be at least 1");
        RequireDefined(AutoOffsetReset, nameof(AutoOffsetReset));
        RequireMs(AutoCommitInterval, nameof(AutoCommitInterval), allowZero: !EnableAutoCommit);
        RequireDefined(IsolationLevel, nameof(IsolationLevel));
        RequireMs(MetadataMaxAge, nameof(MetadataMaxAge), allowZero: true);
        Require(PartitionAssignmentStrategy is { Count: > 0 }, nameof(PartitionAssignmentStrategy), null, "must list at least one assignor");
        Require(PartitionAssignmentStrategy!.Distinct().Count() == PartitionAssignmentStrategy.Count, nameof(PartitionAssignmentStrategy),
            string.Join(",", PartitionAssignmentStrategy), "lists an assignor twice");
        foreach (var s in PartitionAssignmentStrategy) RequireDefined(s, nameof(PartitionAssignmentStrategy));
        RequireDefined(GroupProtocol, nameof(GroupProtocol));
        Require(MaxPollRecords >= 1, nameof(MaxPollRecords), MaxPollRecords, "must be at least 1");
        RequireMs(MaxPollInterval, nameof(MaxPollInterval), allowZero: false);
        RequireMs(SessionTimeout, nameof(SessionTimeout), allowZero: false);
        RequireMs(HeartbeatInterval, nameof(HeartbeatInterval), allowZero: false);
        Require(HeartbeatInterval < SessionTimeout, nameof(HeartbeatInterval), HeartbeatInterval, $"must be shorter than SessionTimeout ({SessionTimeout})");
        RequireMs(ConnectionsMaxIdle, nameof(ConnectionsMaxIdle), allowZero: false);
        RequireMs(ApiVersionAutoTimeout, nameof(ApiVersionAutoTimeout), allowZero: false);
        RequireMs(ConnectionSetupTimeout, nameof(ConnectionSetupTimeout), allowZero: false);
        Require(ApiVersion is null || ApiVersion >= new Version(0, 10), nameof(ApiVersion), ApiVersion, "must be 0.10 or newer (older brokers are not supported)");
        Require(ClientRack is not null, nameof(ClientRack), ClientRack, "must not be null (use an empty string for none)");
        if (ConsumerTimeout is TimeSpan consumerTimeout) RequireMs(consumerTimeout, nameof(ConsumerTimeout), allowZero: true);
        Require(ReceiveBufferBytes is null or > 0, nameof(ReceiveBufferBytes), ReceiveBufferBytes, "must be positive (or null for the OS default)");
        Require(SendBufferBytes is null or > 0, nameof(SendBufferBytes), SendBufferBytes, "must be positive (or null for the OS default)");
        RequireDefined(SecurityProtocol, nameof(SecurityProtocol));
        ValidateSecurity();
    }

    private void ValidateSecurity()
    {
        var sasl = SecurityProtocol is SecurityProtocol.SaslPlaintext or SecurityProtocol.SaslSsl;
        if (sasl)
        {
            Require(SaslMechanism is not null, nameof(SaslMechanism), null, $"is required with SecurityProtocol {SecurityProtocol}");
            RequireDefined(SaslMechanism!.Value, nameof(SaslMechanism));
            if (SaslMechanism is TypedKafka.SaslMechanism.OAuthBearer)
            {
                Require(SaslOAuthTokenProvider is not null, nameof(SaslOAuthTokenProvider), null, "is required with SaslMechanism OAuthBearer");
            }
            else
            {
                Require(!string.IsNullOrEmpty(SaslUsername), nameof(SaslUsername), SaslUsername, $"is required with SaslMechanism {SaslMechanism}");
                Require(SaslPassword is not null, nameof(SaslPassword), null, $"is required with SaslMechanism {SaslMechanism}");
            }
        }
        RequireFile(SslCaFile, nameof(SslCaFile));
        RequireFile(SslCertFile, nameof(SslCertFile));
        RequireFile(SslKeyFile, nameof(SslKeyFile));
        Require(SslKeyFile is null || SslCertFile is not null, nameof(SslKeyFile), SslKeyFile, "needs SslCertFile");
    }

    /// <summary>Splits a bootstrap list into hosts and ports (9092 when no port is given).</summary>
    internal static IReadOnlyList<(string Host, int Port)> ParseBootstrapServers(string servers)
    {
        var result = new List<(string, int)>();
        foreach (var entry in servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = entry;
            var scheme = text.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0) text = text[(scheme + 3)..];
            string host;
            var port = 9092;
            if (text.StartsWith('['))
            {
                var close = text.IndexOf(']', StringComparison.Ordinal);
                if (close < 0) throw Invalid(nameof(BootstrapServers), servers, $"'{entry}' has an unclosed IPv6 bracket");
                host = text[1..close];
                if (close + 1 < text.Length)
                {
                    if (text[close + 1] != ':') throw Invalid(nameof(BootstrapServers), servers, $"'{entry}' is not host:port");
                    port = ParsePort(text[(close + 2)..], entry, servers);
                }
            }
            else
            {
                var colon = text.LastIndexOf(':');
                host = colon < 0 ? text : text[..colon];
                if (colon >= 0) port = ParsePort(text[(colon + 1)..], entry, servers);
            }
            if (host.Length == 0) throw Invalid(nameof(BootstrapServers), servers, $"'{entry}' has no host");
            result.Add((host, port));
        }
        if (result.Count == 0) throw Invalid(nameof(BootstrapServers), servers, "at least one host:port is required");
        return result;
    }

    private static int ParsePort(string text, string entry, string servers) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw Invalid(nameof(BootstrapServers), servers, $"'{entry}' has an invalid port '{text}'");

    private static void Require(bool condition, string name, object? value, string rule)
    {
        if (!condition) throw Invalid(name, value, rule);
    }

    private static void RequireMs(TimeSpan value, string name, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value.TotalMilliseconds > int.MaxValue)
            throw Invalid(name, value, allowZero ? "must be between 0 and 24.8 days" : "must be positive and at most 24.8 days");
    }

    private static void RequireDefined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw Invalid(name, value, $"is not one of {string.Join(", ", Enum.GetNames<T>())}");
    }

    private static void RequireFile(string? path, string name)
    {
        if (path is not null && !File.Exists(path)) throw Invalid(name, path, "names a file that does not exist");
    }

    private static ArgumentException Invalid(string name, object? value, string rule) =>
        new($"ConsumerOptions.{name} ({(value is null ? "null" : Convert.ToString(value, CultureInfo.InvariantCulture))}) {rule}.", name);
}
