using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Nanokit.Providers.Kubernetes;

/// <summary>
/// Where the API server is and how to authenticate to it, read as kubectl reads it: the first file of <c>KUBECONFIG</c>
/// (a path list), else <c>~/.kube/config</c>; its <c>current-context</c> names a cluster (server, CA) and a user.
/// Supported credentials: a bearer token (<c>token</c>, <c>tokenFile</c>), a client certificate (<c>client-certificate</c> and
/// <c>client-key</c>, or their <c>-data</c> forms, as kind, minikube and kubeadm write them), or none; exec plugins, auth
/// providers and basic auth are refused by name rather than ignored, so a request never goes out unauthenticated by surprise.
/// </summary>
public sealed record KubeConfig(Uri Server, string? CertificateAuthorityPem, bool InsecureSkipTlsVerify, string? Token, string Source)
{
    /// <summary>The user's client certificate, already checked to be readable and to match its key; null when the user has none.</summary>
    public KubeClientCertificate? ClientCertificate { get; init; }

    /// <summary>The kubeconfig kubectl would use with these variables; a <see cref="KubeConfigException"/> names the file and field.</summary>
    /// <param name="variable">Reads an environment variable (the process's, or the one a CLI command was given).</param>
    public static KubeConfig Load(Func<string, string?> variable) => Read(PathFrom(variable));

    /// <summary>The file <see cref="Load"/> reads: the first of <c>KUBECONFIG</c>, else <c>~/.kube/config</c>.</summary>
    public static string PathFrom(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var paths = variable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var home = variable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return paths is { Length: > 0 } ? paths[0] : Path.Combine(home, ".kube", "config");
    }

    public static KubeConfig Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"kubeconfig {path}: cannot be read ({e.Message}); set KUBECONFIG to the file kubectl uses");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new KubeConfigException($"kubeconfig {path}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new KubeConfigException($"kubeconfig {path}: empty, or not a mapping");
        }

        return new Reader(path).Config(root);
    }

    private sealed class Reader(string path)
    {
        private readonly string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";

        public KubeConfig Config(YamlMappingNode root)
        {
            var contextName = Scalar(root, "current-context") ?? throw Fail(root, "current-context", "is not set; run kubectl config use-context NAME");
            var context = Named(root, "contexts", contextName, "context");
            var clusterName = Scalar(context, "cluster") ?? throw Fail(context, "cluster", $"is missing in context \"{contextName}\"");
            var cluster = Named(root, "clusters", clusterName, "cluster");
            var userName = Scalar(context, "user");
            var user = userName is null ? null : Named(root, "users", userName, "user");

            var serverText = Scalar(cluster, "server") ?? throw Fail(cluster, "server", $"is missing in cluster \"{clusterName}\"");
            if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme is not ("https" or "http"))
            {
                throw Fail(cluster, "server", $"\"{serverText}\" is not an http(s) URL");
            }

            var ca = Scalar(cluster, "certificate-authority-data") is { } caData ? Decode(cluster, "certificate-authority-data", caData)
                : Scalar(cluster, "certificate-authority") is { } caFile ? File(cluster, "certificate-authority", caFile)
                : null;
            var insecure = Scalar(cluster, "insecure-skip-tls-verify") == "true";

            string? token = null;
            KubeClientCertificate? certificate = null;
            if (user is not null)
            {
                foreach (var unsupported in new[] { "exec", "auth-provider", "username" })
                {
                    if (user.Children.ContainsKey(new YamlScalarNode(unsupported)))
                    {
                        throw Fail(user, unsupported, $"in user \"{userName}\" is not supported by nanokit yet; use a bearer token (token or tokenFile) or a client certificate (client-certificate-data and client-key-data)");
                    }
                }

                token = Scalar(user, "token") ?? (Scalar(user, "tokenFile") is { } tokenFile ? File(user, "tokenFile", tokenFile).Trim() : null);
                certificate = ClientCertificate(user, userName!);
            }

            return new KubeConfig(server, ca, insecure, token, path) { ClientCertificate = certificate };
        }

        // As client-go: the -data form overrides the file form; a certificate needs its key and the other way round.
        private KubeClientCertificate? ClientCertificate(YamlMappingNode user, string userName)
        {
            var (certificateField, certificatePem) = Pem(user, "client-certificate");
            var (keyField, keyPem) = Pem(user, "client-key");
            if (certificatePem is null && keyPem is null)
            {
                return null;
            }

            if (certificatePem is null || keyPem is null)
            {
                var (present, missing) = certificatePem is null ? (keyField, "client-certificate") : (certificateField, "client-key");
                throw Fail(user, present, $"in user \"{userName}\" has no {missing} or {missing}-data beside it");
            }

            try
            {
                using var _ = X509Certificate2.CreateFromPem(certificatePem);
            }
            catch (CryptographicException e)
            {
                throw Fail(user, certificateField, $"in user \"{userName}\" is not a PEM certificate ({e.Message})");
            }

            if (!KubeClientCertificate.IsPrivateKey(keyPem))
            {
                throw Fail(user, keyField, $"in user \"{userName}\" is not a PEM RSA or EC private key (unencrypted: RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)");
            }

            try
            {
                using var _ = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            }
            catch (CryptographicException e)
            {
                throw Fail(user, keyField, $"in user \"{userName}\" does not match {certificateField} ({e.Message})");
            }

            var at = At(user, certificateField);
            return new KubeClientCertificate(certificatePem, keyPem, $"kubeconfig {path}:{at.Line}:{at.Column}: {certificateField} of user \"{userName}\"");
        }

        private (string Field, string? Pem) Pem(YamlMappingNode user, string field) =>
            Scalar(user, field + "-data") is { } data ? (field + "-data", Decode(user, field + "-data", data))
            : Scalar(user, field) is { } file ? (field, File(user, field, file))
            : (field, null);

        private YamlMappingNode Named(YamlMappingNode root, string list, string name, string field)
        {
            if (root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode entries)
            {
                foreach (var entry in entries.OfType<YamlMappingNode>())
                {
                    if (Scalar(entry, "name") == name && entry.Children.TryGetValue(new YamlScalarNode(field), out var value) && value is YamlMappingNode found)
                    {
                        return found;
                    }
                }
            }

            throw Fail(root, list, $"has no entry named \"{name}\"");
        }

        private static string? Scalar(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

        private string Decode(YamlMappingNode map, string key, string base64)
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            }
            catch (FormatException)
            {
                throw Fail(map, key, "is not base64");
            }
        }

        private string File(YamlMappingNode map, string key, string file)
        {
            var full = Path.IsPathRooted(file) ? file : Path.Combine(directory, file);
            try
            {
                return System.IO.File.ReadAllText(full);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Fail(map, key, $"names {full}, which cannot be read ({e.Message})");
            }
        }

        private KubeConfigException Fail(YamlNode near, string key, string problem)
        {
            var at = At(near, key);
            return new KubeConfigException($"kubeconfig {path}:{at.Line}:{at.Column}: {key} {problem}");
        }

        private static YamlDotNet.Core.Mark At(YamlNode near, string key) =>
            near is YamlMappingNode map && map.Children.Keys.FirstOrDefault(k => k is YamlScalarNode s && s.Value == key) is { } keyNode ? keyNode.Start : near.Start;
    }
}

/// <summary>A user's client certificate and key (PEM), presented in the TLS handshake of every request.</summary>
/// <param name="Where">The field and user entry it came from, for an error when the server refuses it.</param>
public sealed record KubeClientCertificate(string CertificatePem, string KeyPem, string Where)
{
    /// <summary>
    /// The certificate with its private key, for SslStream. Re-imported from PKCS#12 because some platforms' TLS stacks
    /// (Windows, macOS) refuse a certificate whose key lives only in memory; on Linux it costs one export.
    /// </summary>
    public X509Certificate2 Load()
    {
        using var pem = X509Certificate2.CreateFromPem(CertificatePem, KeyPem);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Whether the text holds an unencrypted RSA or EC private key that imports (the labels kubeadm, kind and openssl write).</summary>
    internal static bool IsPrivateKey(string pem)
    {
        var rest = pem.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            var block = rest[fields.Location].ToString();
            rest = rest[fields.Location.End..];
            if (label is "RSA PRIVATE KEY" or "EC PRIVATE KEY" or "PRIVATE KEY")
            {
                return Imports(block, RSA.Create) || Imports(block, ECDsa.Create);
            }
        }

        return false;
    }

    private static bool Imports(string block, Func<AsymmetricAlgorithm> create)
    {
        using var key = create();
        try
        {
            key.ImportFromPem(block);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            // Another algorithm's key, or a damaged one.
            return false;
        }
    }
}

/// <summary>The kubeconfig is missing or unusable; the message names the file, and the line and field where it can.</summary>
public sealed class KubeConfigException(string message) : Exception(message);
