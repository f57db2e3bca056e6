namespace TypedKafka.SchemaRegistry;

/// <summary>
/// Where the Confluent-compatible Schema Registry is and how to talk to it. Bound from <c>TypedKafka:SchemaRegistry</c>
/// (e.g. <c>TypedKafka:SchemaRegistry:Url</c>). Names follow Confluent's client settings (<c>schema.registry.*</c>).
/// </summary>
public sealed class SchemaRegistryOptions
{
    /// <summary>The registry's base URL, or several separated by commas (tried in turn when one fails). Mirrors
    /// <c>schema.registry.url</c>. Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>HTTP basic credentials as <c>user:password</c>. Mirrors <c>basic.auth.user.info</c> (with
    /// <c>basic.auth.credentials.source=USER_INFO</c>). Default none.</summary>
    public string? BasicAuthUserInfo { get; set; }

    /// <summary>A bearer token sent as <c>Authorization: Bearer ...</c>. Mirrors <c>bearer.auth.token</c> (with
    /// <c>bearer.auth.credentials.source=STATIC_TOKEN</c>). Default none; not together with <see cref="BasicAuthUserInfo"/>.</summary>
    public string? BearerToken { get; set; }

    /// <summary>How long one HTTP request may take. Mirrors <c>schema.registry.request.timeout.ms</c>. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a request that got no answer, a 5xx, 408 or 429 is sent again. Mirrors
    /// <c>schema.registry.max.retries</c>. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The pause before the first retry, doubling per retry. Mirrors <c>schema.registry.retries.wait.ms</c>. Default 1 s.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between retries. Mirrors <c>schema.registry.retries.max.wait.ms</c>. Default 20 s.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Schemas kept in memory (each id is fetched once while cached). Mirrors <c>schema.registry.max.cached.schemas</c>.
    /// Default 1000.</summary>
    public int MaxCachedSchemas { get; set; } = 1000;

    /// <summary>A PEM file of CA certificates trusted for the registry's TLS certificate (instead of the system's).
    /// Mirrors <c>schema.registry.ssl.ca.location</c>. Default none.</summary>
    public string? SslCaLocation { get; set; }

    /// <summary>A client certificate for mutual TLS: a PEM certificate file (with <see cref="SslKeyLocation"/>) or a
    /// PKCS#12 file (with <see cref="SslKeystorePassword"/>). Mirrors <c>schema.registry.ssl.keystore.location</c>. Default none.</summary>
    public string? SslCertificateLocation { get; set; }

    /// <summary>The PEM private key of <see cref="SslCertificateLocation"/>. Default none.</summary>
    public string? SslKeyLocation { get; set; }

    /// <summary>The password of a PKCS#12 <see cref="SslCertificateLocation"/>. Mirrors
    /// <c>schema.registry.ssl.keystore.password</c>. Default none.</summary>
    public string? SslKeystorePassword { get; set; }

    /// <summary>Whether the registry's TLS certificate is verified. Mirrors <c>enable.ssl.certificate.verification</c>.
    /// Default true.</summary>
    public bool EnableSslCertificateVerification { get; set; } = true;

    /// <summary>The URLs of <see cref="Url"/>, parsed.</summary>
    public IReadOnlyList<Uri> Urls() => Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(u => new Uri(u.EndsWith('/') ? u : u + "/", UriKind.Absolute)).ToList();

    /// <summary>Checks every setting; an <see cref="ArgumentException"/> names the bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Url))
            throw new ArgumentException("TypedKafka:SchemaRegistry:Url is required.", nameof(Url));
        foreach (var u in Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"TypedKafka:SchemaRegistry:Url has '{u}', which is not an http or https URL.", nameof(Url));
        }

        if (BasicAuthUserInfo is not null && !BasicAuthUserInfo.Contains(':'))
            throw new ArgumentException("TypedKafka:SchemaRegistry:BasicAuthUserInfo must be 'user:password'.", nameof(BasicAuthUserInfo));
        if (BasicAuthUserInfo is not null && BearerToken is not null)
            throw new ArgumentException("TypedKafka:SchemaRegistry: set BasicAuthUserInfo or BearerToken, not both.", nameof(BearerToken));
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"TypedKafka:SchemaRegistry:RequestTimeout must be positive; it is {RequestTimeout}.", nameof(RequestTimeout));
        if (MaxRetries < 0)
            throw new ArgumentException($"TypedKafka:SchemaRegistry:MaxRetries must not be negative; it is {MaxRetries}.", nameof(MaxRetries));
        if (RetryBackoff < TimeSpan.Zero || MaxRetryBackoff < RetryBackoff)
            throw new ArgumentException($"TypedKafka:SchemaRegistry:RetryBackoff ({RetryBackoff}) must be between zero and MaxRetryBackoff ({MaxRetryBackoff}).", nameof(RetryBackoff));
        if (MaxCachedSchemas < 1)
            throw new ArgumentException($"TypedKafka:SchemaRegistry:MaxCachedSchemas must be at least 1; it is {MaxCachedSchemas}.", nameof(MaxCachedSchemas));
        if (SslKeyLocation is not null && SslCertificateLocation is null)
            throw new ArgumentException("TypedKafka:SchemaRegistry:SslKeyLocation needs SslCertificateLocation.", nameof(SslKeyLocation));
    }
}
