using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace TypedKafka.Testing.SchemaRegistry;

/// <summary>
/// An in-process Schema Registry on 127.0.0.1 speaking enough of Confluent's REST API for clients and serializers:
/// <c>GET /schemas/ids/{id}</c>, <c>GET /subjects</c>, <c>GET /subjects/{s}/versions[/{v|latest}]</c>,
/// <c>POST /subjects/{s}/versions</c> (register) and <c>POST /subjects/{s}</c> (look up). Optional HTTPS (a given
/// certificate), basic or bearer credentials, injected failures and a "hang" switch for timeouts. Test-only: one HTTP/1.1
/// request per connection over a raw socket, so it needs neither Kestrel nor HttpListener URL reservations.
/// </summary>
public sealed class TestSchemaRegistry : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly object _gate = new();
    private readonly List<(int Id, string Type, string Schema, Guid Guid)> _schemas = new();
    private readonly Dictionary<string, List<int>> _subjects = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failures;
    private int _failureStatus;

    /// <summary>Starts listening on a free loopback port (HTTPS with <paramref name="certificate"/>, else HTTP).</summary>
    public TestSchemaRegistry(X509Certificate2? certificate = null)
    {
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:40123.</summary>
    public string Url => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Requests answered or refused, by "METHOD /path" (query removed).</summary>
    public ConcurrentDictionary<string, int> Requests { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, requests without <c>Authorization: Basic base64(this)</c> get 401.</summary>
    public string? RequiredBasicUserInfo { get; set; }

    /// <summary>When set, requests without <c>Authorization: Bearer this</c> get 401.</summary>
    public string? RequiredBearerToken { get; set; }

    /// <summary>When true, GET requests are read but never answered (until this is false again or the registry is disposed).</summary>
    public bool Hang { get; set; }

    /// <summary>Registers a schema under a subject (as a serializer would); the same text gets the same id.</summary>
    public int Register(string subject, string schema, string schemaType = "AVRO")
    {
        lock (_gate)
        {
            int index = _schemas.FindIndex(s => s.Schema == schema && s.Type == schemaType);
            int id = index >= 0 ? _schemas[index].Id : _schemas.Count + 1;
            if (index < 0)
                _schemas.Add((id, schemaType, schema, Guid.NewGuid()));
            if (!_subjects.TryGetValue(subject, out var versions))
                _subjects[subject] = versions = new List<int>();
            if (!versions.Contains(id))
                versions.Add(id);
            return id;
        }
    }

    /// <summary>The GUID of a registered schema (what <c>GET /schemas/guids/{guid}</c> serves).</summary>
    public Guid GuidOf(int id)
    {
        lock (_gate)
            return _schemas.First(s => s.Id == id).Guid;
    }

    /// <summary>The next <paramref name="count"/> requests are answered with <paramref name="status"/>.</summary>
    public void FailNext(int count, int status = 503)
    {
        _failureStatus = status;
        Volatile.Write(ref _failures, count);
    }

    /// <summary>How many requests of the kind <paramref name="request"/> were served.</summary>
    public int Count(string request) => Requests.TryGetValue(request, out int n) ? n : 0;

    /// <summary>Stops listening and releases any request held back.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _released.TrySetResult();
        _listener.Stop();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream, false);
                    await ssl.AuthenticateAsServerAsync(_certificate, false, false).ConfigureAwait(false);
                    stream = ssl;
                }

                await using (stream.ConfigureAwait(false))
                {
                    var (method, path, headers, body) = await ReadRequestAsync(stream).ConfigureAwait(false);
                    string route = method + " " + path.Split('?')[0];
                    Requests.AddOrUpdate(route, 1, (_, n) => n + 1);
                    if (Hang && method == "GET")
                    {
                        await _released.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                        return;
                    }

                    var (status, answer) = Answer(method, path.Split('?')[0], headers, body);
                    byte[] bytes = Encoding.UTF8.GetBytes(answer);
                    string head = $"HTTP/1.1 {status} {(HttpStatusCode)status}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).ConfigureAwait(false);
                    await stream.WriteAsync(bytes).ConfigureAwait(false);
                    await stream.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                // The client went away or refused the certificate.
            }
        }
    }

    private static async Task<(string Method, string Path, Dictionary<string, string> Headers, string Body)> ReadRequestAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 4 || buffer[^4] != '\r' || buffer[^3] != '\n' || buffer[^2] != '\r' || buffer[^1] != '\n')
        {
            if (await stream.ReadAsync(one).ConfigureAwait(false) == 0)
                throw new IOException("The client closed the connection before the end of the request headers.");
            buffer.Add(one[0]);
            if (buffer.Count > 64 * 1024)
                throw new IOException("Request headers over 64 KiB.");
        }

        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        int length = headers.TryGetValue("Content-Length", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body).ConfigureAwait(false);
        return (requestLine[0], requestLine[1], headers, Encoding.UTF8.GetString(body));
    }

    private (int Status, string Body) Answer(string method, string path, Dictionary<string, string> headers, string body)
    {
        if (RequiredBasicUserInfo is { } basic && (!headers.TryGetValue("Authorization", out var a) || a != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(basic))))
            return Error(401, 40101, "Unauthorized");
        if (RequiredBearerToken is { } bearer && (!headers.TryGetValue("Authorization", out var b) || b != "Bearer " + bearer))
            return Error(401, 40101, "Unauthorized");
        if (Interlocked.Decrement(ref _failures) >= 0)
            return Error(_failureStatus, _failureStatus * 100, "Injected failure");

        var parts = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        lock (_gate)
        {
            switch (method, parts.Length)
            {
                case ("GET", 3) when parts[0] == "schemas" && parts[1] == "ids":
                {
                    if (!int.TryParse(parts[2], out int id) || _schemas.FindIndex(s => s.Id == id) is var i && i < 0)
                        return Error(404, 40403, "Schema " + parts[2] + " not found");
                    var s = _schemas[i];
                    return (200, Json(w =>
                    {
                        w.WriteString("schema", s.Schema);
                        if (s.Type != "AVRO")
                            w.WriteString("schemaType", s.Type);
                    }));
                }

                case ("GET", 3) when parts[0] == "schemas" && parts[1] == "guids":
                {
                    if (!Guid.TryParse(parts[2], out var guid) || _schemas.FindIndex(s => s.Guid == guid) is var g && g < 0)
                        return Error(404, 40403, "Schema " + parts[2] + " not found");
                    var s = _schemas[g];
                    return (200, Json(w =>
                    {
                        w.WriteString("schema", s.Schema);
                        if (s.Type != "AVRO")
                            w.WriteString("schemaType", s.Type);
                    }));
                }

                case ("GET", 1) when parts[0] == "subjects":
                    return (200, JsonSerializerArray(_subjects.Keys));
                case ("GET", 3) when parts[0] == "subjects" && parts[2] == "versions":
                    return _subjects.TryGetValue(parts[1], out var vs)
                        ? (200, "[" + string.Join(",", Enumerable.Range(1, vs.Count)) + "]")
                        : Error(404, 40401, "Subject '" + parts[1] + "' not found.");
                case ("GET", 4) when parts[0] == "subjects" && parts[2] == "versions":
                {
                    if (!_subjects.TryGetValue(parts[1], out var versions))
                        return Error(404, 40401, "Subject '" + parts[1] + "' not found.");
                    int version = parts[3] == "latest" ? versions.Count : int.TryParse(parts[3], out int v) ? v : 0;
                    if (version < 1 || version > versions.Count)
                        return Error(404, 40402, "Version " + parts[3] + " not found.");
                    var s = _schemas.First(x => x.Id == versions[version - 1]);
                    return (200, Json(w =>
                    {
                        w.WriteString("subject", parts[1]);
                        w.WriteNumber("version", version);
                        w.WriteNumber("id", s.Id);
                        w.WriteString("schema", s.Schema);
                        if (s.Type != "AVRO")
                            w.WriteString("schemaType", s.Type);
                    }));
                }

                case ("POST", 3) when parts[0] == "subjects" && parts[2] == "versions":
                case ("POST", 2) when parts[0] == "subjects":
                {
                    using var request = JsonDocument.Parse(body);
                    string schema = request.RootElement.GetProperty("schema").GetString()!;
                    string type = request.RootElement.TryGetProperty("schemaType", out var t) ? t.GetString()! : "AVRO";
                    if (parts.Length == 2)
                    {
                        var existing = _schemas.FindIndex(s => s.Schema == schema && s.Type == type);
                        if (existing < 0 || !_subjects.TryGetValue(parts[1], out var list) || !list.Contains(_schemas[existing].Id))
                            return Error(404, 40403, "Schema not found");
                        var found = _schemas[existing];
                        return (200, Json(w =>
                        {
                            w.WriteString("subject", parts[1]);
                            w.WriteNumber("id", found.Id);
                            w.WriteNumber("version", list.IndexOf(found.Id) + 1);
                            w.WriteString("schema", found.Schema);
                        }));
                    }

                    int id = Register(parts[1], schema, type); // the lock is re-entrant
                    return (200, Json(w => w.WriteNumber("id", id)));
                }

                default:
                    return Error(404, 404, "No such endpoint: " + method + " " + path);
            }
        }
    }

    private static (int, string) Error(int status, int code, string message) =>
        (status, Json(w =>
        {
            w.WriteNumber("error_code", code);
            w.WriteString("message", message);
        }));

    private static string JsonSerializerArray(IEnumerable<string> values)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartArray();
            foreach (var v in values)
                w.WriteStringValue(v);
            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
