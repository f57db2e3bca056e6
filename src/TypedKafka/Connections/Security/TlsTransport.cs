using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TypedKafka.Connections;

/// <summary>
/// The client side of TLS for a broker connection: validates the broker's certificate against the system store or
/// <see cref="TlsSettings.CaFile"/>, checks its host name unless told not to, and presents a client certificate for
/// mutual TLS. Failures name the broker and say why (untrusted chain with its status, name mismatch, bad files).
/// </summary>
internal static class TlsTransport
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    /// <summary>Runs the TLS handshake over <paramref name="inner"/> (which the returned stream then owns). On failure
    /// <paramref name="inner"/> is disposed.</summary>
    public static async Task<Stream> AuthenticateAsync(Stream inner, BrokerEndpoint endpoint, TlsSettings settings, TimeSpan timeout, CancellationToken cancellationToken)
    {
        SslStream? ssl = null;
        X509Certificate2Collection? trusted = null;
        X509Certificate2Collection? clientChain = null;
        try
        {
            trusted = settings.CaFile is string caFile ? LoadCertificates(caFile, nameof(ConsumerOptions.SslCaFile)) : null;
            clientChain = settings.CertFile is string certFile ? LoadClientCertificate(certFile, settings.KeyFile, settings.KeyPassword) : null;

            string? rejection = null;
            var options = new SslClientAuthenticationOptions
            {
                // Also the SNI name when it is a DNS name; an IP literal sends no SNI.
                TargetHost = endpoint.Host,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    rejection = Validate(certificate, chain, endpoint, settings, trusted);
                    return rejection is null;
                },
            };
            if (clientChain is not null)
            {
                options.ClientCertificateContext = SslStreamCertificateContext.Create(
                    clientChain[0], clientChain.Count > 1 ? new X509Certificate2Collection(clientChain.Skip(1).ToArray()) : null, offline: true);
            }

            ssl = new SslStream(inner, leaveInnerStreamOpen: false);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await ssl.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            }
            catch (AuthenticationException e)
            {
                var reason = rejection ?? (e.InnerException?.Message ?? e.Message) + (settings.CertFile is null
                    ? " (if the broker requires client certificates, set SslCertFile and SslKeyFile)"
                    : "");
                throw new KafkaAuthenticationException($"TLS handshake with {endpoint} failed: {reason}", e);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new KafkaConnectionException(
                    $"TLS handshake with {endpoint} did not complete within {timeout.TotalSeconds:0.###} s (ConnectionSetupTimeout); " +
                    "is the listener TLS-enabled? Check SecurityProtocol.");
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                throw new KafkaConnectionException(
                    $"TLS handshake with {endpoint} failed: the connection was lost ({e.Message}); is the listener TLS-enabled? Check SecurityProtocol.", e);
            }
            return ssl;
        }
        catch
        {
            // The SslStream owns the inner stream once made; before that, dispose the inner stream directly.
            if (ssl is not null) await ssl.DisposeAsync().ConfigureAwait(false);
            else await inner.DisposeAsync().ConfigureAwait(false);
            DisposeAll(clientChain);
            throw;
        }
        finally
        {
            // Only the handshake's validation used these. The client certificate stays with the stream's context.
            DisposeAll(trusted);
        }
    }

    /// <summary>Null when the broker's certificate is acceptable, else why not.</summary>
    private static string? Validate(X509Certificate? presented, X509Chain? handshakeChain, BrokerEndpoint endpoint, TlsSettings settings, X509Certificate2Collection? trusted)
    {
        var where = $"{endpoint.Host}:{endpoint.Port}";
        if (presented is null) return $"the broker at {where} sent no certificate.";
        var owned = presented as X509Certificate2 is null;
        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        try
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
            // Intermediates the broker sent along.
            if (handshakeChain is not null) chain.ChainPolicy.ExtraStore.AddRange(handshakeChain.ChainPolicy.ExtraStore);
            if (trusted is not null)
            {
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
            }
            var valid = chain.Build(certificate);
            var statuses = chain.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.Status).Distinct().ToList();
            foreach (var element in chain.ChainElements) element.Certificate.Dispose();
            if (!valid || statuses.Count > 0)
            {
                var against = settings.CaFile is null ? "the system trust store" : $"SslCaFile '{settings.CaFile}'";
                return $"the certificate for {where} is not trusted: {(statuses.Count == 0 ? "chain validation failed" : string.Join(", ", statuses))} " +
                    $"(subject '{certificate.Subject}', issuer '{certificate.Issuer}', checked against {against}).";
            }
            if (settings.CheckHostname && !certificate.MatchesHostname(endpoint.Host))
            {
                return $"the certificate for {where} does not match the host name '{endpoint.Host}' (subject '{certificate.Subject}', " +
                    $"names: {SubjectAlternativeNames(certificate)}); set SslCheckHostname=false only if this is expected.";
            }
            return null;
        }
        finally
        {
            if (owned) certificate.Dispose();
        }
    }

    private static string SubjectAlternativeNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    /// <summary>All certificates of a PEM file.</summary>
    internal static X509Certificate2Collection LoadCertificates(string path, string option)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            DisposeAll(certificates);
            throw new KafkaAuthenticationException($"Cannot read {option} '{path}': {e.Message}", e);
        }
        if (certificates.Count == 0) throw new KafkaAuthenticationException($"{option} '{path}' contains no PEM certificate (-----BEGIN CERTIFICATE-----).");
        return certificates;
    }

    /// <summary>The client certificate (first) with its private key, followed by any intermediates of the file.</summary>
    internal static X509Certificate2Collection LoadClientCertificate(string certFile, string? keyFile, string? password)
    {
        var chain = LoadCertificates(certFile, nameof(ConsumerOptions.SslCertFile));
        try
        {
            var keyPath = keyFile ?? certFile;
            var keyOption = keyFile is null ? nameof(ConsumerOptions.SslCertFile) : nameof(ConsumerOptions.SslKeyFile);
            string pem;
            try
            {
                pem = File.ReadAllText(keyPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaAuthenticationException($"Cannot read {keyOption} '{keyPath}': {e.Message}", e);
            }
            var encrypted = pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
            if (pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            {
                throw new KafkaAuthenticationException(
                    $"{keyOption} '{keyPath}' is a legacy OpenSSL-encrypted key; convert it to PKCS#8 (openssl pkcs8 -topk8) to use it with SslPassword.");
            }
            if (encrypted && password is null)
                throw new KafkaAuthenticationException($"{keyOption} '{keyPath}' holds an encrypted private key; set SslPassword.");

            var leaf = chain[0];
            X509Certificate2 withKey;
            try
            {
                withKey = leaf.GetKeyAlgorithm() switch
                {
                    "1.2.840.113549.1.1.1" => WithKey(leaf, RSA.Create(), pem, encrypted, password, static (c, k) => c.CopyWithPrivateKey(k)),
                    "1.2.840.10045.2.1" => WithKey(leaf, ECDsa.Create(), pem, encrypted, password, static (c, k) => c.CopyWithPrivateKey(k)),
                    var other => throw new KafkaAuthenticationException(
                        $"SslCertFile '{certFile}' has a public key of algorithm {other}; RSA and ECDSA client certificates are supported."),
                };
            }
            catch (CryptographicException e)
            {
                // Never include the password; a wrong password and a corrupt file look alike.
                throw new KafkaAuthenticationException(
                    $"Cannot load the private key of {keyOption} '{keyPath}'{(encrypted ? " (wrong SslPassword?)" : "")}: {e.Message}", e);
            }
            catch (ArgumentException e)
            {
                throw new KafkaAuthenticationException(
                    $"Cannot use {keyOption} '{keyPath}' with SslCertFile '{certFile}': {e.Message}", e);
            }
            if (OperatingSystem.IsWindows())
            {
                // SChannel cannot use an ephemeral key for client authentication: round-trip through PKCS#12.
                using var ephemeral = withKey;
                withKey = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
            }
            leaf.Dispose();
            chain[0] = withKey;
            return chain;
        }
        catch
        {
            DisposeAll(chain);
            throw;
        }
    }

    private static X509Certificate2 WithKey<TKey>(X509Certificate2 certificate, TKey key, string pem, bool encrypted, string? password,
        Func<X509Certificate2, TKey, X509Certificate2> combine)
        where TKey : AsymmetricAlgorithm
    {
        using (key)
        {
            if (encrypted) key.ImportFromEncryptedPem(pem, password);
            else key.ImportFromPem(pem);
            return combine(certificate, key);
        }
    }

    private static void DisposeAll(X509Certificate2Collection? certificates)
    {
        if (certificates is null) return;
        foreach (var certificate in certificates) certificate.Dispose();
    }
}
