using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace TypedKafka.SchemaRegistry;

/// <summary>
/// A client of the Confluent Schema Registry REST API (<c>GET /schemas/ids/{id}</c>, <c>/subjects</c>,
/// <c>/subjects/{subject}/versions[/{version}]</c>): basic or bearer credentials, TLS with a custom CA and client
/// certificates, a timeout per request, retries with doubling backoff (5xx, 408, 429, no answer), and a bounded cache
/// so that each schema id is fetched once. Responses are read with <see cref="JsonDocument"/>: no reflection.
/// </summary>
public sealed class SchemaRegistryClient : ISchemaRegistryClient, IDisposable
{
    private const string Accept = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5";
    private readonly SchemaRegistryOptions _options;
    private readonly IReadOnlyList<Uri> _urls;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<int, RegisteredSchema> _byId = new();
    private readonly ConcurrentDictionary<Guid, RegisteredSchema> _byGuid = new();
    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private int _urlIndex;

    public SchemaRegistryClient(SchemaRegistryOptions options)
        : this(options, null)
    {
    }

    /// <param name="options">Validated here.</param>
    /// <param name="handler">The HTTP handler to use instead of the one built from the TLS settings (tests, proxies).</param>
    public SchemaRegistryClient(SchemaRegistryOptions options, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _urls = options.Urls();
        _http = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Accept.ParseAdd(Accept);
        if (options.BasicAuthUserInfo is { } userInfo)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        else if (options.BearerToken is { } token)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>How many requests were sent (attempts included); for diagnostics and tests.</summary>
    public int RequestCount => _requests;

    private int _requests;

    /// <inheritdoc />
    public RegisteredSchema GetSchema(int id)
    {
        if (_byId.TryGetValue(id, out var cached))
            return cached;
        _fetchGate.Wait();
        try
        {
            if (_byId.TryGetValue(id, out cached))
                return cached;
            var schema = ParseSchema(Send($"schemas/ids/{id.ToString(System.Globalization.CultureInfo.InvariantCulture)}", CancellationToken.None), id, null, null);
            Remember(id, schema);
            return schema;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<RegisteredSchema> GetSchemaAsync(int id, CancellationToken cancellationToken = default)
    {
        if (_byId.TryGetValue(id, out var cached))
            return cached;
        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_byId.TryGetValue(id, out cached))
                return cached;
            var body = await SendAsync($"schemas/ids/{id.ToString(System.Globalization.CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
            var schema = ParseSchema(body, id, null, null);
            Remember(id, schema);
            return schema;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    /// <inheritdoc />
    public RegisteredSchema GetSchema(Guid guid)
    {
        if (_byGuid.TryGetValue(guid, out var cached))
            return cached;
        _fetchGate.Wait();
        try
        {
            if (_byGuid.TryGetValue(guid, out cached))
                return cached;
            string path = $"schemas/guids/{guid:D}";
            var body = Send(path, CancellationToken.None);
            using (var document = Parse(body, path))
            {
                // The answer may carry the numeric id too; 0 when it does not.
                int id = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id", out var i) && i.TryGetInt32(out int n) ? n : 0;
                var schema = ParseSchema(body, id, null, path);
                if (_byGuid.Count >= _options.MaxCachedSchemas)
                    _byGuid.Clear();
                _byGuid[guid] = schema;
                return schema;
            }
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    /// <summary>Every subject (<c>GET /subjects</c>).</summary>
    public async Task<IReadOnlyList<string>> GetSubjectsAsync(CancellationToken cancellationToken = default)
    {
        using var document = Parse(await SendAsync("subjects", cancellationToken).ConfigureAwait(false), "subjects");
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw Malformed("subjects", "is not an array");
        return document.RootElement.EnumerateArray().Select(e => e.GetString() ?? throw Malformed("subjects", "has a subject that is not a string")).ToList();
    }

    /// <summary>The versions registered under a subject (<c>GET /subjects/{subject}/versions</c>).</summary>
    public async Task<IReadOnlyList<int>> GetVersionsAsync(string subject, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        string path = $"subjects/{Uri.EscapeDataString(subject)}/versions";
        using var document = Parse(await SendAsync(path, cancellationToken).ConfigureAwait(false), path);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw Malformed(path, "is not an array");
        return document.RootElement.EnumerateArray().Select(e => e.TryGetInt32(out int v) ? v : throw Malformed(path, "has a version that is not an integer")).ToList();
    }

    /// <summary>One version of a subject, or the latest (<c>GET /subjects/{subject}/versions/{version|latest}</c>); its id is cached.</summary>
    public async Task<RegisteredSchema> GetSchemaAsync(string subject, int? version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        string path = $"subjects/{Uri.EscapeDataString(subject)}/versions/{(version is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "latest")}";
        var schema = ParseSchema(await SendAsync(path, cancellationToken).ConfigureAwait(false), null, subject, path);
        Remember(schema.Id, schema with { Subject = null, Version = null });
        return schema;
    }

    public void Dispose()
    {
        _http.Dispose();
        _fetchGate.Dispose();
    }

    private void Remember(int id, RegisteredSchema schema)
    {
        if (_byId.Count >= _options.MaxCachedSchemas)
        {
            foreach (var key in _byId.Keys.Take(Math.Max(1, _byId.Count / 4)))
                _byId.TryRemove(key, out _);
        }

        _byId[id] = schema;
    }

    private string Send(string path, CancellationToken cancellationToken)
    {
        Exception? last = null;
        for (int attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            if (attempt > 0)
                Thread.Sleep(Backoff(attempt));
            var url = CurrentUrl();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                Interlocked.Increment(ref _requests);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, path));
                using var response = _http.Send(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                using var reader = new StreamReader(response.Content.ReadAsStream(timeout.Token), Encoding.UTF8);
                string body = reader.ReadToEnd();
                if (Outcome(response.StatusCode, body, url, path, out var failure))
                    return body;
                last = failure;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }

            NextUrl();
        }

        throw Unavailable(path, last);
    }

    private async Task<string> SendAsync(string path, CancellationToken cancellationToken)
    {
        Exception? last = null;
        for (int attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            if (attempt > 0)
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            var url = CurrentUrl();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                Interlocked.Increment(ref _requests);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, path));
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                string body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (Outcome(response.StatusCode, body, url, path, out var failure))
                    return body;
                last = failure;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }

            NextUrl();
        }

        throw Unavailable(path, last);
    }

    /// <summary>True for 2xx; throws at once for answers a retry will not change; false (with the failure) to retry.</summary>
    private static bool Outcome(HttpStatusCode status, string body, Uri url, string path, out Exception? failure)
    {
        int code = (int)status;
        failure = null;
        if (code is >= 200 and < 300)
            return true;
        var (errorCode, message) = ErrorBody(body);
        string text = $"The Schema Registry at {url} answered GET /{path} with {code} {status}{(errorCode != 0 ? $" (error_code {errorCode})" : "")}: {message ?? "no message"}";
        if (code is >= 500 or 408 or 429)
        {
            failure = new SchemaRegistryException(text, isRetriable: true, code, errorCode);
            return false;
        }

        throw new SchemaRegistryException(text, isRetriable: false, code, errorCode);
    }

    private SchemaRegistryException Unavailable(string path, Exception? last)
    {
        if (last is SchemaRegistryException answered)
            return new SchemaRegistryException($"{answered.Message} (after {_options.MaxRetries + 1} attempts)", true, answered.StatusCode, answered.ErrorCode, answered);
        string reason = last is OperationCanceledException ? $"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s" : last?.Message ?? "no answer";
        return new SchemaRegistryException(
            $"The Schema Registry at {_options.Url} could not be reached for GET /{path} after {_options.MaxRetries + 1} attempts: {reason}", true, inner: last);
    }

    private TimeSpan Backoff(int attempt)
    {
        double ms = _options.RetryBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.MaxRetryBackoff.TotalMilliseconds));
    }

    private Uri CurrentUrl() => _urls[(int)((uint)Volatile.Read(ref _urlIndex) % (uint)_urls.Count)];

    private void NextUrl() => Interlocked.Increment(ref _urlIndex);

    private static (int ErrorCode, string? Message) ErrorBody(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (0, Truncate(body));
            int code = root.TryGetProperty("error_code", out var c) && c.TryGetInt32(out int v) ? v : 0;
            string? message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (code, message ?? Truncate(body));
        }
        catch (JsonException)
        {
            return (0, Truncate(body));
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] + "..." : text;

    private static JsonDocument Parse(string body, string path)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw Malformed(path, "is not JSON: " + e.Message);
        }
    }

    private static SchemaRegistryException Malformed(string path, string what) =>
        new($"The Schema Registry's answer to GET /{path} {what}.", isRetriable: false);

    private static RegisteredSchema ParseSchema(string body, int? id, string? subject, string? path)
    {
        path ??= $"schemas/ids/{id}";
        using var document = Parse(body, path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.String)
            throw Malformed(path, "has no \"schema\" string");
        int schemaId = id ?? (root.TryGetProperty("id", out var i) && i.TryGetInt32(out int parsed) ? parsed : throw Malformed(path, "has no \"id\""));
        string type = root.TryGetProperty("schemaType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "AVRO";
        var references = new List<SchemaReference>();
        if (root.TryGetProperty("references", out var refs) && refs.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in refs.EnumerateArray())
            {
                references.Add(new SchemaReference(
                    r.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "",
                    r.TryGetProperty("subject", out var s) ? s.GetString() ?? "" : "",
                    r.TryGetProperty("version", out var v) && v.TryGetInt32(out int version) ? version : 0));
            }
        }

        return new RegisteredSchema(schemaId, type, schema.GetString()!, references)
        {
            Subject = subject,
            Version = root.TryGetProperty("version", out var ver) && ver.TryGetInt32(out int versionNumber) ? versionNumber : null,
        };
    }

    private static SocketsHttpHandler CreateHandler(SchemaRegistryOptions options)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        X509Certificate2Collection? trusted = null;
        if (options.SslCaLocation is { } ca)
        {
            trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(ca);
        }

        if (options.SslCertificateLocation is { } certificate)
        {
            var client = options.SslKeyLocation is { } key
                ? X509Certificate2.CreateFromPemFile(certificate, key)
                : X509CertificateLoader.LoadPkcs12FromFile(certificate, options.SslKeystorePassword);
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { client };
        }

        if (!options.EnableSslCertificateVerification)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (trusted is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }

        return handler;
    }
}
