using TypedKafka.Connections;

namespace TypedKafka.Tests.Security;

public sealed class SecuritySettingsTests
{
    [Fact]
    public void Settings_follow_the_security_protocol_and_never_print_secrets()
    {
        var options = new ConsumerOptions
        {
            SecurityProtocol = SecurityProtocol.SaslSsl,
            SaslMechanism = SaslMechanism.ScramSha256,
            SaslUsername = "alice",
            SaslPassword = "do-not-print-1",
            SslPassword = "do-not-print-2",
            SslCheckHostname = false,
        };
        var settings = ConnectionSettings.From(options);
        Assert.NotNull(settings.Tls);
        Assert.False(settings.Tls.CheckHostname);
        Assert.Equal("SCRAM-SHA-256", settings.Sasl!.MechanismName);
        var text = settings.ToString();
        Assert.DoesNotContain("do-not-print", text, StringComparison.Ordinal);
        Assert.Contains("password set", text, StringComparison.Ordinal);

        Assert.Null(ConnectionSettings.From(new ConsumerOptions()).Tls);
        Assert.Null(ConnectionSettings.From(new ConsumerOptions()).Sasl);
        Assert.Null(ConnectionSettings.From(new ConsumerOptions { SecurityProtocol = SecurityProtocol.Ssl }).Sasl);
        Assert.Null(ConnectionSettings.From(new ConsumerOptions
        {
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = SaslMechanism.Plain,
            SaslUsername = "u",
            SaslPassword = "p",
        }).Tls);
    }

    [Theory]
    [InlineData(SaslMechanism.ScramSha512, "SaslUsername")]
    [InlineData(SaslMechanism.Plain, "SaslUsername")]
    [InlineData(SaslMechanism.OAuthBearer, "SaslOAuthTokenProvider")]
    public void Validation_names_the_missing_sasl_credential(SaslMechanism mechanism, string option)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { SecurityProtocol = SecurityProtocol.SaslSsl, SaslMechanism = mechanism }.Validate());
        Assert.Equal(option, error.ParamName);
    }

    [Fact]
    public void Validation_names_the_missing_password_and_files()
    {
        Assert.Equal("SaslPassword", Assert.Throws<ArgumentException>(() => new ConsumerOptions
        {
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = SaslMechanism.ScramSha256,
            SaslUsername = "u",
        }.Validate()).ParamName);
        Assert.Equal("SslCertFile", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { SecurityProtocol = SecurityProtocol.Ssl, SslCertFile = "/nonexistent/client.pem" }.Validate()).ParamName);
        Assert.Equal("SslKeyFile", Assert.Throws<ArgumentException>(() =>
            new ConsumerOptions { SecurityProtocol = SecurityProtocol.Ssl, SslKeyFile = "/nonexistent/key.pem" }.Validate()).ParamName);
        var password = Assert.Throws<ArgumentException>(() => new ConsumerOptions
        {
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = SaslMechanism.Plain,
            SaslPassword = "hidden-value-3",
        }.Validate());
        Assert.DoesNotContain("hidden-value-3", password.Message, StringComparison.Ordinal);
    }
}
