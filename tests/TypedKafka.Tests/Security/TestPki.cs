using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TypedKafka.Tests.Security;

/// <summary>
/// Certificates made at test time (ECDSA P-256, valid for a day) and written as PEM files into a temp folder: a CA, a
/// second unrelated CA, a broker certificate for 127.0.0.1/localhost, one for another name, and a client certificate
/// with its key both encrypted (PKCS#8, <see cref="KeyPassword"/>) and in clear.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string KeyPassword = "pem-key-pass-5f3a";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public TestPki()
    {
        Directory = Path.Combine(Path.GetTempPath(), "typedkafka-pki-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);

        Ca = CreateCa("CN=TypedKafka Test CA");
        OtherCa = CreateCa("CN=Some Other CA");
        Server = CreateLeaf(Ca, "CN=broker.test", ServerAuth, san =>
        {
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
        });
        WrongNameServer = CreateLeaf(Ca, "CN=elsewhere.test", ServerAuth, san => san.AddDnsName("elsewhere.invalid"));
        Client = CreateLeaf(Ca, "CN=typedkafka-client", ClientAuth, san => san.AddDnsName("client.test"));

        CaFile = Write("ca.pem", Ca.ExportCertificatePem());
        OtherCaFile = Write("other-ca.pem", OtherCa.ExportCertificatePem());
        // Several certificates in one file: the unrelated CA first, so that only a full read of the bundle trusts the broker.
        CaBundleFile = Write("bundle.pem", OtherCa.ExportCertificatePem() + "\n" + Ca.ExportCertificatePem() + "\n");
        ClientCertFile = Write("client.pem", Client.ExportCertificatePem());
        using var clientKey = Client.GetECDsaPrivateKey()!;
        ClientKeyFile = Write("client-key.pem", clientKey.ExportPkcs8PrivateKeyPem());
        ClientEncryptedKeyFile = Write("client-key-encrypted.pem",
            clientKey.ExportEncryptedPkcs8PrivateKeyPem(KeyPassword, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 2048)));
    }

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 OtherCa { get; }

    /// <summary>Signed by <see cref="Ca"/>, for IP 127.0.0.1 and DNS localhost.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>Signed by <see cref="Ca"/>, for DNS elsewhere.invalid only.</summary>
    public X509Certificate2 WrongNameServer { get; }

    /// <summary>Signed by <see cref="Ca"/>, for client authentication.</summary>
    public X509Certificate2 Client { get; }

    public string CaFile { get; }

    public string OtherCaFile { get; }

    public string CaBundleFile { get; }

    public string ClientCertFile { get; }

    public string ClientKeyFile { get; }

    public string ClientEncryptedKeyFile { get; }

    public string Write(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static X509Certificate2 CreateCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddHours(-2), now.AddDays(2));
        return Reload(created);
    }

    private static X509Certificate2 CreateLeaf(X509Certificate2 issuer, string subject, Oid usage, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(issuer, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(12));
        using var withKey = signed.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>Round-trips through PKCS#12 so that the key is usable by SslStream on every platform.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    public void Dispose()
    {
        Ca.Dispose();
        OtherCa.Dispose();
        Server.Dispose();
        WrongNameServer.Dispose();
        Client.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
