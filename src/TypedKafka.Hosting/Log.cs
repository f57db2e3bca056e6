using Microsoft.Extensions.Logging;

namespace TypedKafka.Hosting;

/// <summary>The hosting's log messages (category <c>TypedKafka.Hosting</c>), with stable event ids 1000-1099.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Warning, "AddTypedKafka found no [KafkaTopic] handlers; no consumer is started.")]
    public static partial void NoHandlers(ILogger logger);

    [LoggerMessage(1001, LogLevel.Information, "TypedKafka group {Group} subscribed to {Topics}")]
    public static partial void Subscribed(ILogger logger, string group, string topics);

    [LoggerMessage(1002, LogLevel.Information, "TypedKafka group {Group} stopped")]
    public static partial void Stopped(ILogger logger, string group);

    [LoggerMessage(1003, LogLevel.Error, "Handler {Handler} failed for {Topic}-{Partition}@{Offset} in group {Group} (attempt {Attempt}); retrying in {PauseMs} ms")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string handler, string topic, int partition, long offset, string group, int attempt, double pauseMs);

    [LoggerMessage(1004, LogLevel.Information, "{Topic}-{Partition}@{Offset} in group {Group} succeeded after {Attempts} attempts")]
    public static partial void Recovered(ILogger logger, string topic, int partition, long offset, string group, int attempts);

    [LoggerMessage(1005, LogLevel.Warning, "Skipping {Topic}-{Partition}@{Offset} in group {Group}: {Error}")]
    public static partial void Skipped(ILogger logger, string topic, int partition, long offset, string group, string error);

    [LoggerMessage(1006, LogLevel.Warning, "Handler for {Topic}-{Partition}@{Offset} in group {Group} was cancelled; the record stays uncommitted")]
    public static partial void Abandoned(ILogger logger, string topic, int partition, long offset, string group);

    [LoggerMessage(1007, LogLevel.Warning, "Commit for group {Group} failed: {Error}; it is repeated with the next commit")]
    public static partial void CommitFailed(ILogger logger, string group, string error);

    [LoggerMessage(1008, LogLevel.Warning, "Commit before revoking {Partitions} in group {Group} failed: {Error}")]
    public static partial void RevocationCommitFailed(ILogger logger, string partitions, string group, string error);

    [LoggerMessage(1009, LogLevel.Warning, "Final commit for group {Group} failed: {Error}")]
    public static partial void FinalCommitFailed(ILogger logger, string group, string error);

    [LoggerMessage(1010, LogLevel.Warning, "Group {Group}: handlers of {Partitions} still ran after {TimeoutMs} ms; their tokens are cancelled and their records stay uncommitted")]
    public static partial void DrainTimedOut(ILogger logger, string group, string partitions, double timeoutMs);

    [LoggerMessage(1011, LogLevel.Critical, "TypedKafka group {Group} stopped on a fatal error; stopping the application (OnFatalError = StopHost): {Error}")]
    public static partial void FatalStopHost(ILogger logger, Exception exception, string group, string error);

    [LoggerMessage(1012, LogLevel.Error, "TypedKafka group {Group} stopped on a fatal error; its consumer is rebuilt in {BackoffMs} ms (restart {Restart}, OnFatalError = Restart): {Error}")]
    public static partial void FatalRestart(ILogger logger, Exception exception, string group, double backoffMs, int restart, string error);

    [LoggerMessage(1013, LogLevel.Debug, "Group {Group}: paused {Partition} ({InFlight} records in flight, {Total} in the group)")]
    public static partial void Paused(ILogger logger, string group, TopicPartition partition, int inFlight, int total);

    [LoggerMessage(1014, LogLevel.Debug, "Group {Group}: resumed {Partition} ({InFlight} records in flight)")]
    public static partial void Resumed(ILogger logger, string group, TopicPartition partition, int inFlight);
}
