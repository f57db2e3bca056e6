namespace TypedKafka.Connections;

/// <summary>How to set up TLS with a broker, taken from the <c>Ssl*</c> options. Files are read at every connect, so
/// rotated certificates are picked up by new connections. <see cref="ToString"/> never shows the key password.</summary>
internal sealed class TlsSettings(string? caFile, string? certFile, string? keyFile, string? keyPassword, bool checkHostname)
{
    /// <summary>PEM file of trusted certificate authorities (one or more certificates); null trusts the system store.</summary>
    public string? CaFile { get; } = caFile;

    /// <summary>PEM client certificate, optionally followed by its intermediates (mutual TLS); null sends none.</summary>
    public string? CertFile { get; } = certFile;

    /// <summary>PEM private key of <see cref="CertFile"/>; null looks for the key inside <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; } = keyFile;

    /// <summary>Password of an encrypted (PKCS#8 <c>ENCRYPTED PRIVATE KEY</c>) key.</summary>
    public string? KeyPassword { get; } = keyPassword;

    /// <summary>Whether the broker's certificate must match the host name it was reached by.</summary>
    public bool CheckHostname { get; } = checkHostname;

    public override string ToString() =>
        $"TLS (CA {CaFile ?? "system store"}, client certificate {CertFile ?? "none"}, key {KeyFile ?? "none"}, " +
        $"key password {(KeyPassword is null ? "none" : "set")}, check hostname {CheckHostname})";
}

/// <summary>How to authenticate with SASL, taken from the <c>Sasl*</c> options. <see cref="ToString"/> never shows the
/// password.</summary>
internal sealed class SaslSettings(SaslMechanism mechanism, string? username, string? password, Func<CancellationToken, ValueTask<string>>? tokenProvider)
{
    public SaslMechanism Mechanism { get; } = mechanism;

    public string? Username { get; } = username;

    public string? Password { get; } = password;

    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; } = tokenProvider;

    /// <summary>The mechanism's name on the wire (SaslHandshake), e.g. <c>SCRAM-SHA-256</c>.</summary>
    public string MechanismName => MechanismNameOf(Mechanism);

    public static string MechanismNameOf(SaslMechanism mechanism) => mechanism switch
    {
        SaslMechanism.Plain => "PLAIN",
        SaslMechanism.ScramSha256 => "SCRAM-SHA-256",
        SaslMechanism.ScramSha512 => "SCRAM-SHA-512",
        SaslMechanism.OAuthBearer => "OAUTHBEARER",
        _ => throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "Unknown SASL mechanism."),
    };

    /// <summary>A new client for one exchange (a SASL client is stateful and used for one connection only).</summary>
    public ISaslClient CreateClient() => Mechanism switch
    {
        SaslMechanism.Plain => new PlainSaslClient(Username ?? "", Password ?? ""),
        SaslMechanism.ScramSha256 => new ScramSaslClient(ScramSaslClient.Sha256, Username ?? "", Password ?? ""),
        SaslMechanism.ScramSha512 => new ScramSaslClient(ScramSaslClient.Sha512, Username ?? "", Password ?? ""),
        SaslMechanism.OAuthBearer => new OAuthBearerSaslClient(
            TokenProvider ?? throw new InvalidOperationException("SaslOAuthTokenProvider is required with SaslMechanism OAuthBearer.")),
        _ => throw new ArgumentOutOfRangeException(nameof(Mechanism), Mechanism, "Unknown SASL mechanism."),
    };

    public override string ToString() =>
        $"SASL {MechanismName} (user {Username ?? "none"}, password {(Password is null ? "none" : "set")}, " +
        $"token provider {(TokenProvider is null ? "none" : "set")})";
}
