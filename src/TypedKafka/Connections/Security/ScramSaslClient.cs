using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TypedKafka.Connections;

/// <summary>
/// The client side of SCRAM (RFC 5802; SHA-256 per RFC 7677, SHA-512 as registered for Kafka by KIP-84), without
/// channel binding (GS2 header <c>n,,</c>). Three steps: client-first → server-first (nonce, salt, iterations) →
/// client-final with the proof → server-final, whose signature is verified so that the broker proves it knows the
/// credentials too. As in Kafka, names and passwords are used as UTF-8 without SASLprep; the user name is escaped
/// (<c>=</c> → <c>=3D</c>, <c>,</c> → <c>=2C</c>).
/// </summary>
internal sealed class ScramSaslClient : ISaslClient
{
    /// <summary>The fewest iterations accepted (RFC 7677 §4 asks for at least 4096; Kafka refuses fewer).</summary>
    public const int MinIterations = 4096;

    /// <summary>A sanity bound so that a hostile server cannot make the client hash for minutes.</summary>
    public const int MaxIterations = 1_000_000;

    public static readonly ScramAlgorithm Sha256 = new("SCRAM-SHA-256", HashAlgorithmName.SHA256, 32);
    public static readonly ScramAlgorithm Sha512 = new("SCRAM-SHA-512", HashAlgorithmName.SHA512, 64);

    /// <summary>For the RFC 5802 test vectors only: Kafka does not offer SCRAM-SHA-1.</summary>
    internal static readonly ScramAlgorithm Sha1 = new("SCRAM-SHA-1", HashAlgorithmName.SHA1, 20);

    private const string Gs2Header = "n,,";
    private readonly ScramAlgorithm _algorithm;
    private readonly string _username;
    private readonly string _password;
    private readonly string _clientNonce;
    private string? _clientFirstBare;
    private byte[]? _expectedServerSignature;
    private Step _step;

    private enum Step
    {
        Start,
        ClientFirstSent,
        ClientFinalSent,
        Done,
    }

    /// <summary>A client for one exchange; <paramref name="clientNonce"/> is fixed only by test vectors (null draws 24
    /// random bytes).</summary>
    public ScramSaslClient(ScramAlgorithm algorithm, string username, string password, string? clientNonce = null)
    {
        _algorithm = algorithm;
        _username = username;
        _password = password;
        if (clientNonce is not null && !IsPrintable(clientNonce))
            throw new ArgumentException("A SCRAM nonce is printable ASCII without ','.", nameof(clientNonce));
        _clientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    }

    public string Mechanism => _algorithm.Name;

    public string? FailureDetail => null;

    public ValueTask<byte[]> InitialResponseAsync(CancellationToken cancellationToken)
    {
        if (_step != Step.Start) throw new SaslMechanismException($"{Mechanism} was started twice.");
        _clientFirstBare = "n=" + EscapeUsername(_username) + ",r=" + _clientNonce;
        _step = Step.ClientFirstSent;
        return ValueTask.FromResult(Encoding.UTF8.GetBytes(Gs2Header + _clientFirstBare));
    }

    public byte[]? Evaluate(ReadOnlySpan<byte> serverMessage)
    {
        switch (_step)
        {
            case Step.ClientFirstSent:
                _step = Step.ClientFinalSent;
                return ClientFinal(Decode(serverMessage, "server-first-message"));
            case Step.ClientFinalSent:
                _step = Step.Done;
                VerifyServerFinal(Decode(serverMessage, "server-final-message"));
                return null;
            default:
                throw new SaslMechanismException($"{Mechanism} received a broker message after the exchange ended.");
        }
    }

    /// <summary>RFC 5802 §5.1 <c>saslname</c>: <c>=</c> and <c>,</c> are written as <c>=3D</c> and <c>=2C</c>.</summary>
    internal static string EscapeUsername(string username) =>
        username.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    private byte[] ClientFinal(string serverFirst)
    {
        string? nonce = null, salt = null, iterations = null;
        foreach (var (key, value) in Attributes(serverFirst, "server-first-message"))
        {
            switch (key)
            {
                case 'm':
                    throw new SaslMechanismException($"the broker requires a SCRAM extension this client does not know (m={value}).");
                case 'r':
                    nonce ??= value;
                    break;
                case 's':
                    salt ??= value;
                    break;
                case 'i':
                    iterations ??= value;
                    break;
                // Other attributes are extensions this client does not use.
            }
        }
        if (nonce is null || salt is null || iterations is null)
            throw new SaslMechanismException("the server-first-message lacks its nonce (r), salt (s) or iteration count (i).");
        if (!nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length || !IsPrintable(nonce))
            throw new SaslMechanismException("the server-first-message's nonce does not extend the client's nonce.");
        byte[] saltBytes;
        try
        {
            saltBytes = Convert.FromBase64String(salt);
        }
        catch (FormatException)
        {
            throw new SaslMechanismException("the server-first-message's salt is not base64.");
        }
        if (saltBytes.Length == 0) throw new SaslMechanismException("the server-first-message's salt is empty.");
        if (!int.TryParse(iterations, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw new SaslMechanismException($"the server-first-message's iteration count '{iterations}' is not a number.");
        if (count < MinIterations)
            throw new SaslMechanismException($"the broker asks for {count} iterations, fewer than the minimum {MinIterations}.");
        if (count > MaxIterations)
            throw new SaslMechanismException($"the broker asks for {count} iterations, more than this client's limit {MaxIterations}.");

        // c= is the base64 of the GS2 header: no channel binding, no authorization identity ("n,," -> "biws").
        var clientFinalWithoutProof = "c=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(Gs2Header)) + ",r=" + nonce;
        var authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + serverFirst + "," + clientFinalWithoutProof);

        var password = Encoding.UTF8.GetBytes(_password);
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(password, saltBytes, count, _algorithm.Hash, _algorithm.HashBytes);
        CryptographicOperations.ZeroMemory(password);
        try
        {
            var clientKey = Hmac(saltedPassword, "Client Key"u8);
            var storedKey = CryptographicOperations.HashData(_algorithm.Hash, clientKey);
            var clientSignature = CryptographicOperations.HmacData(_algorithm.Hash, storedKey, authMessage);
            var proof = new byte[clientKey.Length];
            for (var i = 0; i < proof.Length; i++) proof[i] = (byte)(clientKey[i] ^ clientSignature[i]);
            var serverKey = Hmac(saltedPassword, "Server Key"u8);
            _expectedServerSignature = CryptographicOperations.HmacData(_algorithm.Hash, serverKey, authMessage);
            CryptographicOperations.ZeroMemory(clientKey);
            CryptographicOperations.ZeroMemory(serverKey);
            return Encoding.UTF8.GetBytes(clientFinalWithoutProof + ",p=" + Convert.ToBase64String(proof));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(saltedPassword);
        }
    }

    private void VerifyServerFinal(string serverFinal)
    {
        string? verifier = null;
        foreach (var (key, value) in Attributes(serverFinal, "server-final-message"))
        {
            if (key == 'e') throw new SaslMechanismException($"the broker reported the SCRAM error '{value}'.");
            if (key == 'v') verifier ??= value;
        }
        if (verifier is null) throw new SaslMechanismException("the server-final-message carries no server signature (v).");
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(verifier);
        }
        catch (FormatException)
        {
            throw new SaslMechanismException("the server-final-message's signature is not base64.");
        }
        if (_expectedServerSignature is null || !CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new SaslMechanismException(
                "the broker's server signature is wrong: it does not know the credentials (or something between client and broker " +
                "is impersonating it), so the connection is not trusted.");
        }
    }

    private byte[] Hmac(byte[] key, ReadOnlySpan<byte> data) => CryptographicOperations.HmacData(_algorithm.Hash, key, data);

    private string Decode(ReadOnlySpan<byte> message, string what)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(message);
        }
        catch (DecoderFallbackException)
        {
            throw new SaslMechanismException($"the {what} is not UTF-8.");
        }
    }

    private static IEnumerable<(char Key, string Value)> Attributes(string message, string what)
    {
        foreach (var part in message.Split(','))
        {
            if (part.Length < 2 || part[1] != '=' || !char.IsAsciiLetter(part[0]))
                throw new SaslMechanismException($"the {what} is malformed (attribute '{Truncate(part)}').");
            yield return (part[0], part[2..]);
        }
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";

    /// <summary>RFC 5802 <c>printable</c>: %x21-2B / %x2D-7E (visible ASCII without ',').</summary>
    private static bool IsPrintable(string text)
    {
        foreach (var c in text)
        {
            if (c is < (char)0x21 or > (char)0x7E or ',') return false;
        }
        return text.Length > 0;
    }
}

/// <summary>A SCRAM variant: its registered name and hash.</summary>
internal sealed record ScramAlgorithm(string Name, HashAlgorithmName Hash, int HashBytes);
