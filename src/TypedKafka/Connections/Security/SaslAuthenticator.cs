using System.Diagnostics;
using TypedKafka.Protocol;

namespace TypedKafka.Connections;

/// <summary>
/// Authenticates a new connection with SASL after the ApiVersions exchange (which Kafka allows before
/// authentication): SaslHandshake v1 names the mechanism (KIP-43), then SaslAuthenticate requests carry the
/// mechanism's messages (KIP-152) until it is done. Every failure is a <see cref="KafkaAuthenticationException"/>
/// naming the broker and the mechanism, except a lost or silent connection, which is a
/// <see cref="KafkaConnectionException"/>. The password and tokens never appear in a message.
/// </summary>
/// <remarks>A broker with <c>connections.max.reauth.ms</c> (KIP-368) states the session's lifetime in SaslAuthenticate
/// v1+ and closes a connection used after it ends. The connection is then renewed rather than re-authenticated in
/// place: see <see cref="BrokerConnection.RenewalDue"/>.</remarks>
internal static class SaslAuthenticator
{
    /// <summary>More rounds than any of the supported mechanisms needs (SCRAM needs two).</summary>
    private const int MaxRounds = 8;

    /// <summary>Session lifetimes are capped here: a connection renewed after a year is renewed soon enough.</summary>
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

    /// <summary>Runs the handshake and the mechanism's exchange; <paramref name="timeout"/> (the connection's setup
    /// timeout) bounds the whole of it. Returns what is left of the session lifetime the broker gave (KIP-368), counted
    /// from when the last SaslAuthenticate was sent (the broker's clock starts later), or null when it set none.</summary>
    public static async Task<TimeSpan?> AuthenticateAsync(BrokerConnection connection, SaslSettings settings, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var endpoint = connection.Endpoint;
        var mechanism = settings.MechanismName;
        var clock = Stopwatch.StartNew();
        var step = "SaslHandshake";
        try
        {
            var handshakeVersion = connection.Versions.Find(ApiKey.SaslHandshake);
            if (handshakeVersion is null)
            {
                throw Fail(endpoint, mechanism,
                    $"it does not offer SaslHandshake (per {connection.Versions.Source}); is this listener SASL-enabled? Check SecurityProtocol.");
            }
            if (handshakeVersion < 1)
            {
                throw Fail(endpoint, mechanism,
                    "it supports only SaslHandshake v0 (Kafka before 1.0), whose unframed SASL tokens TypedKafka does not speak.");
            }
            var handshake = await connection.RequestAsync<SaslHandshakeResponse>(
                new SaslHandshakeRequest { Mechanism = mechanism }, handshakeVersion.Value, cancellationToken, Remaining(timeout, clock)).ConfigureAwait(false);
            var handshakeError = (ErrorCode)handshake.ErrorCode;
            if (handshakeError == ErrorCode.UnsupportedSaslMechanism)
            {
                var enabled = handshake.Mechanisms.Count == 0 ? "none" : string.Join(", ", handshake.Mechanisms);
                throw Fail(endpoint, mechanism, $"it does not enable {mechanism} (UNSUPPORTED_SASL_MECHANISM); its enabled mechanisms are: {enabled}.");
            }
            if (handshakeError != ErrorCode.None)
                throw Fail(endpoint, mechanism, $"it answered SaslHandshake with {ErrorCodes.KafkaName(handshakeError)}: {ErrorCodes.Describe(handshakeError)}");

            var authenticateVersion = connection.Versions.Find(ApiKey.SaslAuthenticate)
                ?? throw Fail(endpoint, mechanism, $"it accepted SaslHandshake v{handshakeVersion} but does not offer SaslAuthenticate (per {connection.Versions.Source}).");

            var client = settings.CreateClient();
            step = "the first SaslAuthenticate";
            var message = await client.InitialResponseAsync(cancellationToken).ConfigureAwait(false);
            for (var round = 1; ; round++)
            {
                if (round > MaxRounds) throw Fail(endpoint, mechanism, $"the exchange did not end after {MaxRounds} rounds.");
                step = round == 1 ? "the first SaslAuthenticate" : $"SaslAuthenticate round {round}";
                var sent = Stopwatch.GetTimestamp();
                var response = await connection.RequestAsync<SaslAuthenticateResponse>(
                    new SaslAuthenticateRequest { AuthBytes = message }, authenticateVersion, cancellationToken, Remaining(timeout, clock)).ConfigureAwait(false);
                var error = (ErrorCode)response.ErrorCode;
                if (error != ErrorCode.None)
                {
                    var said = string.IsNullOrEmpty(response.ErrorMessage) ? ErrorCodes.Describe(error) : response.ErrorMessage;
                    var detail = client.FailureDetail is string extra ? $" ({extra})" : "";
                    throw Fail(endpoint, mechanism, $"{ErrorCodes.KafkaName(error)}: {said}{detail}");
                }
                var next = client.Evaluate(response.AuthBytes.Span);
                if (next is null)
                {
                    if (response.SessionLifetimeMs <= 0) return null;
                    // Any int64 is legal on the wire; beyond a year it changes nothing (and would overflow TimeSpan).
                    var stated = TimeSpan.FromMilliseconds(Math.Min(response.SessionLifetimeMs, (long)MaxLifetime.TotalMilliseconds));
                    var left = stated - Stopwatch.GetElapsedTime(sent);
                    return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
                }
                message = next;
            }
        }
        catch (SaslMechanismException e)
        {
            throw new KafkaAuthenticationException($"SASL {mechanism} authentication with {endpoint} failed: {e.Message}", e.InnerException);
        }
        catch (KafkaTimeoutException e)
        {
            throw new KafkaConnectionException(
                $"SASL {mechanism} authentication with {endpoint} did not complete within {timeout.TotalSeconds:0.###} s " +
                $"(ConnectionSetupTimeout), waiting for the answer to {step}.", e);
        }
        catch (KafkaConnectionException e)
        {
            throw new KafkaConnectionException($"The connection to {endpoint} failed during SASL {mechanism} authentication ({step}): {e.Message}", e);
        }
    }

    private static TimeSpan Remaining(TimeSpan timeout, Stopwatch clock)
    {
        var left = timeout - clock.Elapsed;
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    private static KafkaAuthenticationException Fail(BrokerEndpoint endpoint, string mechanism, string reason) =>
        new($"SASL {mechanism} authentication with {endpoint} failed: {reason}");
}
