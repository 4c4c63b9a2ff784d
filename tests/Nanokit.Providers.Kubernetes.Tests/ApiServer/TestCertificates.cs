using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// Certificates for client-certificate authentication, made as a cluster's CA makes them (kubeadm's is an RSA CA; clients
/// get <c>clientAuth</c> certificates it signs): a CA, and client certificates it issues with an RSA or EC key.
/// </summary>
internal static class TestCertificates
{
    /// <summary>A self-signed CA with its key, able to sign client certificates.</summary>
    public static X509Certificate2 Authority(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    /// <summary>A client certificate for <paramref name="user"/> signed by <paramref name="authority"/>, and its private key, both PEM.</summary>
    /// <param name="ec">An EC P-256 key (SEC1, <c>EC PRIVATE KEY</c>) rather than RSA (PKCS#1, <c>RSA PRIVATE KEY</c>, as kubeadm writes it).</param>
    public static (string CertificatePem, string KeyPem) Client(X509Certificate2 authority, string user, bool ec = false)
    {
        using AsymmetricAlgorithm key = ec ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var request = key is ECDsa ecdsa
            ? new CertificateRequest($"CN={user}, O=system:masters", ecdsa, HashAlgorithmName.SHA256)
            : new CertificateRequest($"CN={user}, O=system:masters", (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(8);
        serial[0] &= 0x7F; // a serial number is a positive integer
        // The CA's own signature generator, so that an EC key can be signed by the RSA CA.
        using var authorityKey = authority.GetRSAPrivateKey()!;
        var signer = X509SignatureGenerator.CreateForRSA(authorityKey, RSASignaturePadding.Pkcs1);
        using var certificate = request.Create(authority.SubjectName, signer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        var keyPem = key is ECDsa e ? e.ExportECPrivateKeyPem() : ((RSA)key).ExportRSAPrivateKeyPem();
        return (certificate.ExportCertificatePem(), keyPem);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="authority"/> (and to nothing else), as the API server's x509 authenticator checks it.</summary>
    public static bool SignedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
