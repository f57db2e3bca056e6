using System.Security.Cryptography;
using System.Text;

namespace TypedKafka.Tests.Security;

/// <summary>One step of a broker-side SASL mechanism: bytes to answer with, or a failure message; Done ends it.</summary>
public readonly record struct SaslServerStep(byte[] Response, bool Done, string? Failure = null)
{
    public static SaslServerStep Fail(string message) => new([], true, message);
}

/// <summary>The broker side of a mechanism, as the test proxy runs it (written for these tests from the RFCs).</summary>
public interface ITestSaslServer
{
    SaslServerStep Step(ReadOnlySpan<byte> clientMessage);
}

/// <summary>RFC 4616 PLAIN: <c>authzid NUL authcid NUL passwd</c>.</summary>
public sealed class TestPlainServer(IReadOnlyDictionary<string, string> users) : ITestSaslServer
{
    public string? AuthenticatedUser { get; private set; }

    public SaslServerStep Step(ReadOnlySpan<byte> clientMessage)
    {
        var parts = Encoding.UTF8.GetString(clientMessage).Split('\0');
        if (parts.Length != 3) return SaslServerStep.Fail("Invalid SASL/PLAIN request: expected 3 tokens");
        if (!users.TryGetValue(parts[1], out var password) || password != parts[2])
            return SaslServerStep.Fail("Authentication failed: Invalid username or password");
        AuthenticatedUser = parts[1];
        return new SaslServerStep([], true);
    }
}

/// <summary>RFC 5802 server side, for SHA-256/SHA-512, 4096 iterations, with an option to send a wrong signature.</summary>
public sealed class TestScramServer(HashAlgorithmName hash, IReadOnlyDictionary<string, string> users, bool forgeServerSignature) : ITestSaslServer
{
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _nonce;
    private string? _password;
    private byte[]? _salt;
    private const int Iterations = 4096;

    public string? AuthenticatedUser { get; private set; }

    private string? _user;

    public SaslServerStep Step(ReadOnlySpan<byte> clientMessage)
    {
        var text = Encoding.UTF8.GetString(clientMessage);
        return _serverFirst is null ? First(text) : Final(text);
    }

    private SaslServerStep First(string text)
    {
        if (!text.StartsWith("n,,", StringComparison.Ordinal)) return SaslServerStep.Fail("Invalid SCRAM client first message: bad GS2 header");
        _clientFirstBare = text[3..];
        var attributes = Parse(_clientFirstBare);
        if (!attributes.TryGetValue('n', out var escaped) || !attributes.TryGetValue('r', out var clientNonce))
            return SaslServerStep.Fail("Invalid SCRAM client first message");
        _user = escaped.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        if (!users.TryGetValue(_user, out _password))
            return SaslServerStep.Fail($"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM");
        _salt = RandomNumberGenerator.GetBytes(16);
        _nonce = clientNonce + Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_salt)},i={Iterations}";
        return new SaslServerStep(Encoding.UTF8.GetBytes(_serverFirst), false);
    }

    private SaslServerStep Final(string text)
    {
        var proofAt = text.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0) return SaslServerStep.Fail("Invalid SCRAM client final message: no proof");
        var withoutProof = text[..proofAt];
        var attributes = Parse(text);
        if (attributes.GetValueOrDefault('c') != "biws" || attributes.GetValueOrDefault('r') != _nonce)
            return SaslServerStep.Fail("Invalid SCRAM client final message: channel binding or nonce mismatch");
        var proof = Convert.FromBase64String(attributes['p']);
        var authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + _serverFirst + "," + withoutProof);
        var hashBytes = hash == HashAlgorithmName.SHA512 ? 64 : 32;
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(_password!), _salt!, Iterations, hash, hashBytes);
        var storedKey = CryptographicOperations.HashData(hash, CryptographicOperations.HmacData(hash, salted, "Client Key"u8));
        var clientSignature = CryptographicOperations.HmacData(hash, storedKey, authMessage);
        if (proof.Length != clientSignature.Length)
            return SaslServerStep.Fail("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM");
        var recoveredClientKey = new byte[proof.Length];
        for (var i = 0; i < proof.Length; i++) recoveredClientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        if (!CryptographicOperations.FixedTimeEquals(CryptographicOperations.HashData(hash, recoveredClientKey), storedKey))
            return SaslServerStep.Fail("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM");
        var serverSignature = CryptographicOperations.HmacData(hash, CryptographicOperations.HmacData(hash, salted, "Server Key"u8), authMessage);
        if (forgeServerSignature) serverSignature[0] ^= 0xFF;
        AuthenticatedUser = _user;
        return new SaslServerStep(Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(serverSignature)), true);
    }

    private static Dictionary<char, string> Parse(string message)
    {
        var result = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
        {
            if (part.Length >= 2 && part[1] == '=') result.TryAdd(part[0], part[2..]);
        }
        return result;
    }
}

/// <summary>RFC 7628 OAUTHBEARER: accepts one token; a wrong one gets the JSON error challenge, then the failure.</summary>
public sealed class TestOAuthBearerServer(string validToken) : ITestSaslServer
{
    private bool _challenged;

    public string? ReceivedToken { get; private set; }

    public SaslServerStep Step(ReadOnlySpan<byte> clientMessage)
    {
        if (_challenged)
        {
            return clientMessage.SequenceEqual((byte[])[0x01])
                ? SaslServerStep.Fail("Authentication failed: invalid_token")
                : SaslServerStep.Fail("Invalid OAUTHBEARER client response after an error challenge");
        }
        var text = Encoding.ASCII.GetString(clientMessage);
        if (!text.StartsWith("n,,\u0001", StringComparison.Ordinal) || !text.EndsWith("\u0001\u0001", StringComparison.Ordinal))
            return SaslServerStep.Fail("Invalid OAUTHBEARER client first message");
        foreach (var pair in text[4..^2].Split('\u0001'))
        {
            if (pair.StartsWith("auth=Bearer ", StringComparison.Ordinal)) ReceivedToken = pair["auth=Bearer ".Length..];
        }
        if (ReceivedToken == validToken) return new SaslServerStep([], true);
        _challenged = true;
        return new SaslServerStep("{\"status\":\"invalid_token\"}"u8.ToArray(), false);
    }
}
