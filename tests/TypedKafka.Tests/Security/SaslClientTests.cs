using System.Text;
using TypedKafka.Connections;

namespace TypedKafka.Tests.Security;

/// <summary>The SASL clients on their own, against the RFCs' published example exchanges.</summary>
public sealed class SaslClientTests
{
    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Scram_sha_256_reproduces_the_rfc_7677_example()
    {
        // RFC 7677 §3: user "user", password "pencil", client nonce fixed.
        var client = new ScramSaslClient(ScramSaslClient.Sha256, "user", "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO");
        Assert.Equal("SCRAM-SHA-256", client.Mechanism);
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", Text(await client.InitialResponseAsync(CancellationToken.None)));

        var final = client.Evaluate(Bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        Assert.Equal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", Text(final!));

        Assert.Null(client.Evaluate(Bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")));
    }

    [Fact]
    public async Task Scram_sha_1_reproduces_the_rfc_5802_example()
    {
        // RFC 5802 §5 (SHA-1 is not offered to Kafka; the algorithm-independent steps are the same).
        var client = new ScramSaslClient(ScramSaslClient.Sha1, "user", "pencil", clientNonce: "fyko+d2lbbFgONRv9qkxdawL");
        Assert.Equal("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", Text(await client.InitialResponseAsync(CancellationToken.None)));
        var final = client.Evaluate(Bytes("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
        Assert.Equal("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", Text(final!));
        Assert.Null(client.Evaluate(Bytes("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")));
    }

    [Fact]
    public async Task Scram_rejects_a_wrong_server_signature_of_the_rfc_example()
    {
        var client = new ScramSaslClient(ScramSaslClient.Sha256, "user", "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO");
        await client.InitialResponseAsync(CancellationToken.None);
        client.Evaluate(Bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        var error = Assert.Throws<SaslMechanismException>(() => client.Evaluate(Bytes("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")));
        Assert.Contains("server signature is wrong", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pencil", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("r=someoneelses-nonce123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend the client's nonce")]
    [InlineData("r=clientnonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend the client's nonce")]
    [InlineData("r=clientnonceXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1024", "fewer than the minimum 4096")]
    [InlineData("r=clientnonceXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999", "more than this client's limit")]
    [InlineData("r=clientnonceXYZ,s=***,i=4096", "salt is not base64")]
    [InlineData("r=clientnonceXYZ,i=4096", "lacks its nonce (r), salt (s) or iteration count (i)")]
    [InlineData("m=ext,r=clientnonceXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "SCRAM extension")]
    [InlineData("garbage", "malformed")]
    public async Task Scram_rejects_a_bad_server_first_message(string serverFirst, string expected)
    {
        var client = new ScramSaslClient(ScramSaslClient.Sha512, "user", "pencil", clientNonce: "clientnonce");
        await client.InitialResponseAsync(CancellationToken.None);
        var error = Assert.Throws<SaslMechanismException>(() => client.Evaluate(Bytes(serverFirst)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scram_reports_a_server_final_error()
    {
        var client = new ScramSaslClient(ScramSaslClient.Sha256, "user", "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO");
        await client.InitialResponseAsync(CancellationToken.None);
        client.Evaluate(Bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        var error = Assert.Throws<SaslMechanismException>(() => client.Evaluate(Bytes("e=invalid-proof")));
        Assert.Contains("invalid-proof", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("a,b", "a=2Cb")]
    [InlineData("a=b", "a=3Db")]
    [InlineData("=,", "=3D=2C")]
    [InlineData("x=2C", "x=3D2C")]
    public async Task Scram_escapes_the_user_name(string user, string onTheWire)
    {
        Assert.Equal(onTheWire, ScramSaslClient.EscapeUsername(user));
        var client = new ScramSaslClient(ScramSaslClient.Sha256, user, "pw", clientNonce: "abc");
        Assert.Equal($"n,,n={onTheWire},r=abc", Text(await client.InitialResponseAsync(CancellationToken.None)));
    }

    [Fact]
    public async Task Scram_draws_a_fresh_nonce_per_exchange()
    {
        var first = Text(await new ScramSaslClient(ScramSaslClient.Sha256, "u", "p").InitialResponseAsync(CancellationToken.None));
        var second = Text(await new ScramSaslClient(ScramSaslClient.Sha256, "u", "p").InitialResponseAsync(CancellationToken.None));
        Assert.StartsWith("n,,n=u,r=", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain(',', first["n,,n=u,r=".Length..]);
    }

    [Fact]
    public async Task Plain_sends_empty_authzid_user_and_password()
    {
        var client = new PlainSaslClient("alice", "pässword");
        Assert.Equal("\0alice\0pässword", Text(await client.InitialResponseAsync(CancellationToken.None)));
        Assert.Null(client.Evaluate([]));
        await Assert.ThrowsAsync<SaslMechanismException>(async () => await new PlainSaslClient("a\0b", "p").InitialResponseAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OAuthBearer_sends_the_gs2_header_and_the_bearer_token()
    {
        var client = new OAuthBearerSaslClient(_ => ValueTask.FromResult("abc.DEF-123_~+/=="));
        Assert.Equal("n,,\u0001auth=Bearer abc.DEF-123_~+/==\u0001\u0001", Text(await client.InitialResponseAsync(CancellationToken.None)));
        Assert.Null(client.Evaluate([]));
    }

    [Fact]
    public async Task OAuthBearer_acknowledges_an_error_challenge_and_keeps_it()
    {
        var client = new OAuthBearerSaslClient(_ => ValueTask.FromResult("tok"));
        await client.InitialResponseAsync(CancellationToken.None);
        Assert.Equal([0x01], client.Evaluate(Bytes("{\"status\":\"invalid_token\"}")));
        Assert.Contains("invalid_token", client.FailureDetail, StringComparison.Ordinal);
        Assert.Throws<SaslMechanismException>(() => client.Evaluate([]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("=leading")]
    [InlineData("a=b")]
    [InlineData("line\nbreak")]
    public async Task OAuthBearer_refuses_a_token_that_is_not_a_b64token(string token)
    {
        var client = new OAuthBearerSaslClient(_ => ValueTask.FromResult(token));
        var error = await Assert.ThrowsAsync<SaslMechanismException>(async () => await client.InitialResponseAsync(CancellationToken.None));
        if (token.Length > 3) Assert.DoesNotContain(token, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuthBearer_lets_cancellation_through()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var client = new OAuthBearerSaslClient(ct => ValueTask.FromCanceled<string>(ct));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.InitialResponseAsync(cts.Token));
    }
}
