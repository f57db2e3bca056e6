using System.Text;

namespace TypedKafka.Connections;

/// <summary>
/// SASL OAUTHBEARER (RFC 7628, KIP-255). The initial response is the GS2 header <c>n,,</c> followed by
/// key/value pairs separated by 0x01: <c>auth=Bearer &lt;token&gt;</c>, terminated by two 0x01 bytes. A broker that
/// rejects the token answers with an error JSON document as a challenge; the client must then send a lone 0x01 and
/// the broker fails the exchange. SASL extensions (KIP-342) are not sent.
/// </summary>
internal sealed class OAuthBearerSaslClient(Func<CancellationToken, ValueTask<string>> tokenProvider) : ISaslClient
{
    private const byte Separator = 0x01;
    private State _state;

    private enum State
    {
        Start,
        TokenSent,
        ErrorAcknowledged,
        Done,
    }

    public string Mechanism => "OAUTHBEARER";

    public string? FailureDetail { get; private set; }

    public async ValueTask<byte[]> InitialResponseAsync(CancellationToken cancellationToken)
    {
        string token;
        try
        {
            token = await tokenProvider(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new SaslMechanismException($"SaslOAuthTokenProvider threw {e.GetType().Name}: {e.Message}", e);
        }
        if (string.IsNullOrEmpty(token)) throw new SaslMechanismException("SaslOAuthTokenProvider returned an empty token.");
        if (!IsBearerToken(token))
        {
            // The token itself is a secret: say what is wrong, never show it.
            throw new SaslMechanismException(
                $"SaslOAuthTokenProvider returned a token of {token.Length} characters that is not an RFC 6750 bearer token " +
                "(letters, digits, '-', '.', '_', '~', '+', '/', then optional '=' padding).");
        }
        var text = "n,," + (char)Separator + "auth=Bearer " + token + (char)Separator + (char)Separator;
        _state = State.TokenSent;
        return Encoding.ASCII.GetBytes(text);
    }

    public byte[]? Evaluate(ReadOnlySpan<byte> serverMessage)
    {
        switch (_state)
        {
            case State.TokenSent when serverMessage.IsEmpty:
                _state = State.Done;
                return null;
            case State.TokenSent:
                // RFC 7628 §3.2.2: a failure comes as a JSON challenge ({"status": ...}); acknowledge with 0x01 so
                // that the broker can end the exchange with its error.
                FailureDetail = "the broker's OAUTHBEARER error: " + Printable(serverMessage);
                _state = State.ErrorAcknowledged;
                return [Separator];
            case State.ErrorAcknowledged:
                throw new SaslMechanismException($"the broker rejected the token but then reported success ({FailureDetail}).");
            default:
                throw new SaslMechanismException($"OAUTHBEARER received a broker message in state {_state}.");
        }
    }

    /// <summary>RFC 6750 §2.1 <c>b64token</c>: <c>1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="</c>.</summary>
    internal static bool IsBearerToken(string token)
    {
        var i = 0;
        while (i < token.Length && (char.IsAsciiLetterOrDigit(token[i]) || token[i] is '-' or '.' or '_' or '~' or '+' or '/')) i++;
        if (i == 0) return false;
        while (i < token.Length && token[i] == '=') i++;
        return i == token.Length;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.Length > 512 ? bytes[..512] : bytes);
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsControl(c) ? '?' : c);
        if (bytes.Length > 512) builder.Append("...");
        return builder.ToString();
    }
}
