using System.Text;

namespace TypedKafka.Connections;

/// <summary>SASL PLAIN (RFC 4616): one message, <c>[authzid] NUL authcid NUL passwd</c> in UTF-8, with an empty
/// authorization identity (the broker then authorizes as the authentication identity).</summary>
internal sealed class PlainSaslClient(string username, string password) : ISaslClient
{
    private bool _sent;

    public string Mechanism => "PLAIN";

    public string? FailureDetail => null;

    public ValueTask<byte[]> InitialResponseAsync(CancellationToken cancellationToken)
    {
        // RFC 4616 forbids NUL inside either identity or the password: it would shift the fields.
        if (username.Contains('\0', StringComparison.Ordinal)) throw new SaslMechanismException("SaslUsername contains a NUL character, which PLAIN cannot carry.");
        if (password.Contains('\0', StringComparison.Ordinal)) throw new SaslMechanismException("SaslPassword contains a NUL character, which PLAIN cannot carry.");
        var userBytes = Encoding.UTF8.GetByteCount(username);
        var message = new byte[1 + userBytes + 1 + Encoding.UTF8.GetByteCount(password)];
        message[0] = 0;
        Encoding.UTF8.GetBytes(username, message.AsSpan(1));
        message[1 + userBytes] = 0;
        Encoding.UTF8.GetBytes(password, message.AsSpan(2 + userBytes));
        _sent = true;
        return ValueTask.FromResult(message);
    }

    public byte[]? Evaluate(ReadOnlySpan<byte> serverMessage)
    {
        if (!_sent) throw new SaslMechanismException("PLAIN received a broker message before sending its own.");
        // A successful SaslAuthenticate answer ends PLAIN; whatever bytes it carries mean nothing to the mechanism.
        return null;
    }
}
