using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TypedKafka.Protocol;
using static TypedKafka.Groups.GroupTiming;

namespace TypedKafka.Groups.Classic;

/// <summary>The classic protocol's heartbeat-loop side: Heartbeat while stable, MaxPollInterval enforcement (a
/// LeaveGroup and a generation reset), session expiry, and LeaveGroup itself.</summary>
internal sealed partial class ClassicMembership
{
    // ------------------------------------------------------------------ heartbeat loop side

    /// <summary>One turn of the classic heartbeat loop: enforce MaxPollInterval, send a heartbeat when due, and return
    /// how long to sleep (negative: until woken).</summary>
    public async Task<TimeSpan> HeartbeatStepAsync(CancellationToken token)
    {
        int generation;
        string memberId;
        TimeSpan sincePoll;
        lock (_gate)
        {
            if (_state != ClassicState.Stable) return Timeout.InfiniteTimeSpan;
            generation = _generation;
            memberId = _memberId;
            sincePoll = _host.SinceLastPoll;
            if (sincePoll < _options.MaxPollInterval)
            {
                var untilHeartbeat = Remaining(_nextHeartbeat);
                if (untilHeartbeat > TimeSpan.Zero)
                {
                    var untilPollTimeout = _options.MaxPollInterval - sincePoll;
                    return untilHeartbeat < untilPollTimeout ? untilHeartbeat : untilPollTimeout;
                }
            }
        }

        if (sincePoll >= _options.MaxPollInterval)
        {
            _host.LogPollTimeout(sincePoll, memberId);
            await SendLeaveGroupAsync(memberId, "consumer poll timeout has expired", _options.RequestTimeout < _options.SessionTimeout ? _options.RequestTimeout : _options.SessionTimeout).ConfigureAwait(false);
            lock (_gate)
            {
                if (_generation == generation && _memberId == memberId) ResetGenerationLocked("the poll timeout expired");
            }
            return Timeout.InfiniteTimeSpan;
        }

        // A heartbeat that takes longer than the session is useless; discovery is bounded so the loop keeps checking the poll timeout.
        var timeout = _options.SessionTimeout < _options.RequestTimeout ? _options.SessionTimeout : _options.RequestTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(timeout);
        ErrorCode error;
        Connections.BrokerConnection via;
        try
        {
            HeartbeatResponse response;
            (response, _, via) = await _channel.SendAsync<HeartbeatResponse>(ApiKey.Heartbeat, v => new HeartbeatRequest
            {
                GroupId = _groupId,
                GenerationId = generation,
                MemberId = memberId,
                GroupInstanceId = v >= 3 ? _instanceId : null,
            }, cts.Token, timeout).ConfigureAwait(false);
            error = (ErrorCode)response.ErrorCode;
        }
        catch (Exception e) when (!token.IsCancellationRequested && (e is OperationCanceledException || IsRetriableRequestFailure(e, token)))
        {
            _log.LogDebug("Group {Group}: heartbeat failed: {Error}", _groupId, e.Message);
            CheckSession(generation, memberId);
            lock (_gate) _nextHeartbeat = Stopwatch.GetTimestamp() + Ticks(RetryBackoff);
            return TimeSpan.Zero;
        }

        Exception? fatal = null;
        var coordinatorGone = false;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            _nextHeartbeat = now + Ticks(_options.HeartbeatInterval);
            if (_generation != generation || _memberId != memberId || _state != ClassicState.Stable) return TimeSpan.Zero; // stale answer
            switch (error)
            {
                case ErrorCode.None:
                    _lastHeartbeatOk = now;
                    break;
                case ErrorCode.RebalanceInProgress:
                    _lastHeartbeatOk = now;
                    RequestRejoinLocked("the group is rebalancing");
                    break;
                case ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId:
                    ResetGenerationLocked($"a heartbeat was answered {ErrorCodes.KafkaName(error)}");
                    break;
                case ErrorCode.FencedInstanceId:
                    fatal = new KafkaBrokerException(error, $"Another consumer with GroupInstanceId '{_instanceId}' joined group '{_groupId}' and fenced this one (FENCED_INSTANCE_ID).");
                    // Recorded with the state change, under the same lock, so no poll sees an unjoined member without
                    // its fatal error (and rejoins once more).
                    _host.SetFatalLocked(fatal);
                    _state = ClassicState.Unjoined;
                    break;
                case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                    coordinatorGone = true;
                    _nextHeartbeat = now + Ticks(RetryBackoff);
                    break;
                case ErrorCode.GroupAuthorizationFailed:
                    _host.Defer(new KafkaAuthorizationException($"Not authorized to heartbeat in group '{_groupId}' (GROUP_AUTHORIZATION_FAILED)."));
                    _nextHeartbeat = now + Ticks(RetryBackoff);
                    break;
                default:
                    _log.LogWarning("Group {Group}: heartbeat answered {Error}; retrying.", _groupId, ErrorCodes.KafkaName(error));
                    _nextHeartbeat = now + Ticks(RetryBackoff);
                    break;
            }
        }
        if (coordinatorGone) _channel.MarkUnknown(via, $"a heartbeat was answered {ErrorCodes.KafkaName(error)}");
        if (fatal is not null) _log.LogError("Group {Group}: {Error} The consumer cannot continue in the group.", _groupId, fatal.Message);
        if (error != ErrorCode.None) CheckSession(generation, memberId);
        return TimeSpan.Zero;
    }

    /// <summary>No heartbeat answered for a whole session: the coordinator is presumed gone and is rediscovered.</summary>
    private void CheckSession(int generation, string memberId)
    {
        lock (_gate)
        {
            if (_generation != generation || _memberId != memberId) return;
            if (Stopwatch.GetElapsedTime(_lastHeartbeatOk) < _options.SessionTimeout) return;
            _lastHeartbeatOk = Stopwatch.GetTimestamp();
        }
        _channel.MarkUnknown(null, "no heartbeat was answered within the session timeout");
    }

    /// <summary>LeaveGroup for a dynamic member (static members never send it: KIP-345). Errors are logged only.</summary>
    private async Task SendLeaveGroupAsync(string memberId, string reason, TimeSpan timeout)
    {
        if (memberId.Length == 0) return;
        if (_instanceId is not null)
        {
            _log.LogInformation("Group {Group}: static member {InstanceId} does not send LeaveGroup ({Reason}); the group notices after the session timeout.",
                _groupId, _instanceId, reason);
            return;
        }
        if (timeout <= TimeSpan.Zero) timeout = TimeSpan.FromMilliseconds(1);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            _log.LogInformation("Group {Group}: member {MemberId} sends LeaveGroup: {Reason}.", _groupId, memberId, reason);
            var (response, version, _) = await _channel.SendAsync<LeaveGroupResponse>(ApiKey.LeaveGroup, v =>
            {
                var request = new LeaveGroupRequest { GroupId = _groupId };
                if (v >= 3)
                {
                    request.Members.Add(new LeaveGroupRequest.MemberIdentity { MemberId = memberId, Reason = v >= 5 ? reason : null });
                }
                else
                {
                    request.MemberId = memberId;
                }
                return request;
            }, cts.Token, timeout).ConfigureAwait(false);
            var error = (ErrorCode)response.ErrorCode;
            if (error == ErrorCode.None && version >= 3) error = response.Members.Select(m => (ErrorCode)m.ErrorCode).FirstOrDefault(e => e != ErrorCode.None);
            if (error != ErrorCode.None)
                _log.LogInformation("Group {Group}: LeaveGroup answered {Error} (ignored).", _groupId, ErrorCodes.KafkaName(error));
        }
        catch (Exception e)
        {
            _log.LogInformation("Group {Group}: LeaveGroup failed ({Error}); the group notices after the session timeout.", _groupId, e.Message);
        }
    }
}
