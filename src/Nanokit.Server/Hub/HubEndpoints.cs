using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Nanokit.Server.Api;

namespace Nanokit.Server.Hub;

/// <summary>
/// The Hub at <c>/hub/</c>: a dashboard of static files that runs in the browser and reads everything it shows from
/// this node's API (the JSON routes of nanokit.proto, with the operator's bearer token) and from the management
/// endpoints. The node serves files, and the role of the caller's token (<c>/hub/session</c>): no page is rendered
/// here and no fact about a project is computed for the Hub.
/// </summary>
internal static class HubEndpoints
{
    /// <summary>
    /// Only this node's own scripts, styles and API: no inline script, nothing from elsewhere, not framed. Text the
    /// API returns (project names, failure messages) is inserted as text, never as markup.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Map(IEndpointRouteBuilder app)
    {
        var assets = HubAssets.Load();
        var tokens = app.ServiceProvider.GetRequiredService<TokenFile>();
        // The role of the caller's token, so that a page never offers a write it would be refused (the API checks
        // each call anyway). Errors have the JSON routes' shape: {code, message} with gRPC's code.
        app.MapGet("/hub/session", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            var header = context.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Json(new { code = 16, message = "a bearer token is required (authorization: Bearer TOKEN)" }, statusCode: StatusCodes.Status401Unauthorized);
            }

            return tokens.RoleOf(header["Bearer ".Length..].Trim()) is { } role
                ? Results.Json(new { role = role.ToString().ToLowerInvariant() })
                : Results.Json(new { code = 16, message = "the bearer token is not known to this server" }, statusCode: StatusCodes.Status401Unauthorized);
        });
        // Routing matches /hub and /hub/ alike; the page's relative URLs need the slash.
        app.MapGet("/hub/{**path}", (string? path, HttpContext context) =>
        {
            if (path is null && !context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect("/hub/");
            }

            if (assets.Find(path ?? "") is not { } asset)
            {
                return Results.NotFound();
            }

            var headers = context.Response.Headers;
            headers.ETag = asset.ETag;
            headers.CacheControl = "no-cache";
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return context.Request.Headers.IfNoneMatch == asset.ETag
                ? Results.StatusCode(StatusCodes.Status304NotModified)
                : Results.Bytes(asset.Content, asset.ContentType);
        });
    }
}
