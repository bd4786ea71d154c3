// Generated from the api's /openapi.json by `npm run generate -w @grove/client`. Do not edit.

export type paths = {
  "/v1/tenants": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List tenants (operators) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of tenants */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["Tenant"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Create a tenant (operators) */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description retries with the same key replay the first response */
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            /** @example acme */
            name: string;
          };
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Tenant"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/tenants/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Show a tenant (operators; members see their own) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the tenant */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Tenant"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/quota": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The quota of the tenant acted in, each limit beside its usage */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the quota, with its ETag */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Quota"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/tenants/{name}/quota": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A tenant's quota, each limit beside its usage (operators; members see their own) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the quota, with its ETag */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Quota"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /** Change a tenant's quota (operators); lowering it below usage stops nothing, it only blocks growth */
    patch: {
      parameters: {
        query?: never;
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["QuotaChanges"];
        };
      };
      responses: {
        /** @description the quota */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Quota"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    trace?: never;
  };
  "/v1/tokens": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List unrevoked API tokens, never their secrets (operators: all; tenant admins: their tenant's) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
          /** @description only this tenant's tokens */
          tenant?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of tokens, oldest first */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["TokenListing"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /**
     * Issue an API token (operators: any; tenant admins: in their tenant)
     * @description The secret is in this response only. A retry with the same Idempotency-Key gets a 409 `secret-shown-once` naming the token made, not the secret again.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description retries with the same key replay the first response */
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreateToken"];
        };
      };
      responses: {
        /** @description the token, shown once */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Token"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/tokens/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Revoke an API token: its next request is refused (operators: any; tenant admins: their tenant's) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description revoked */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/spaces": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the tenant's spaces by name */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of spaces */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["Space"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Create a space in the tenant (tenant admins, operators) */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description retries with the same key replay the first response */
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            /** @example web */
            name: string;
          };
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Space"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/spaces/{name}/quota": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A space's quota, each limit beside the space's usage */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the quota, with its ETag */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Quota"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /** Change a space's quota (tenant admins, operators); the tenant's quota binds as well */
    patch: {
      parameters: {
        query?: never;
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["QuotaChanges"];
        };
      };
      responses: {
        /** @description the quota */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Quota"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    trace?: never;
  };
  "/v1/spaces/{name}/roles": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Who has which role in a space (developer tokens; tenant admins may do everything anyway) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the space's roles */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["SpaceRole"][];
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/spaces/{name}/roles/{token}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Give a developer token a role in a space: developer (read and change) or viewer (read)
     * @description Replaces the role the token had in the space. Takes effect on the token's next request.
     */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
          /** @description the developer token's name or id */
          token: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["SetSpaceRole"];
        };
      };
      responses: {
        /** @description the role */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["SpaceRole"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    post?: never;
    /** Take a developer token's role in a space away: from its next request it sees nothing of the space */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
          /** @description the developer token's name or id */
          token: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description removed */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the apps of the spaces you see, by name (of one space with ?space=) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
          space?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of apps, each with its running instances */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["AppListItem"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Create an app (desired state, revision 1) */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description retries with the same key replay the first response */
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreateApp"];
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["App"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota (`quota`), break a single-writer volume (one instance, one app) or names an image that cannot be pulled (`unusable-image`); nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Show an app */
    get: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the app, with its ETag */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["App"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete an app */
    delete: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description deleted */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    /** Change an app; changes of what runs make a new revision, scaling does not */
    patch: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["UpdateApp"];
        };
      };
      responses: {
        /** @description the app */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["App"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota (`quota`), break a single-writer volume (one instance, one app) or names an image that cannot be pulled (`unusable-image`); nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    trace?: never;
  };
  "/v1/apps/{name}/start": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Start an app's instances */
    post: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the app */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["App"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota; nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/stop": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Stop all of an app's instances */
    post: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the app */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["App"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota; nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/restart": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Replace every instance of an app */
    post: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the app */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["App"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description If-Match does not match */
        412: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota; nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/events": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** An app's audit events, newest first */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of events */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["AppEvent"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/volumes": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the volumes of the spaces you see, by name (of one space with ?space=) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
          space?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of volumes */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["Volume"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Create a volume in a space of the tenant (made on a cell when an instance first mounts it) */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description retries with the same key replay the first response */
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreateVolume"];
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Volume"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota; nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/volumes/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Show a volume (another tenant's is not found) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the volume */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Volume"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a volume, its data and its snapshots, freeing its space on its cell (refused while in use) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description deleted */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/volumes/{name}/snapshots": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List a volume's snapshots, by name */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of snapshots */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["VolumeSnapshot"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Snapshot a volume: a point-in-time copy of its files (its filesystem frozen while read) in the cluster's object store */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          "application/json": components["schemas"]["CreateSnapshot"];
        };
      };
      responses: {
        /** @description stored */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["VolumeSnapshot"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description the change would exceed a quota; nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description a dependency or a cell did not answer */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/volumes/{name}/snapshots/{snapshot}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Delete a snapshot and its copy in the object store (refused while it is being restored) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
          snapshot: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description deleted */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/volumes/{name}/restore": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Restore a volume from one of its snapshots, onto whichever cell its next instance lands on (refused while an instance holds it) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["RestoreVolume"];
        };
      };
      responses: {
        /** @description the volume, restoring */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Volume"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/bits": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Upload an app's bits (a tar); new bits make a new revision
     * @description With `?digest=` naming bits this tenant already uploaded, the body is not read and the app points at those bits; otherwise the body is hashed while it streams and stored by digest.
     */
    put: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
          digest?: string;
        };
        header?: {
          /** @description ETag from a previous read; 412 when stale */
          "if-match"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          "application/x-tar": string;
        };
      };
      responses: {
        /** @description the app now runs these bits */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["BitsUpload"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description body too large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description an archive Grove will not unpack (`entry` names the member, `limit` the limit it went past), or the change would exceed a quota; nothing changed */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/bits/{digest}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Whether this tenant has uploaded bits with this digest (also answers HEAD) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          digest: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description known bits */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              digest: string;
              size_bytes: number;
              created_at: string;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/instances": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** An app's instances: state, cell, address, crash count, since, why not running, and CPU, memory and disk use */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of instances */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["Instance"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/logs": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * An app's recent log lines, and with follow=true new ones as they come (server-sent events)
     * @description Each line is an SSE event `log` whose id is its sequence; reconnect with `Last-Event-ID` to resume. If the token is revoked or expires while the stream is open, a last event `error` (a 401 problem) ends it.
     */
    get: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
          lines?: number | null;
          follow?: "true" | "false";
        };
        header?: {
          "last-event-id"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description event stream of log lines */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "text/event-stream": string;
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/apps/{name}/instances/{index}/exec": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Run a process in a running instance (as vcap, in the app's directory, with the app's env)
     * @description Attach with `GET /v1/execs/{id}/output` (its output from the first byte, then the exit code). A process nobody attaches to within a minute is killed. The exec is bound to the token that started it: its output and controls answer 404 to any other token. Viewers of the space cannot exec (403).
     */
    post: {
      parameters: {
        query?: {
          /** @description the app's space; without it, the one app of this name in the spaces you see */
          space?: string;
        };
        header?: never;
        path: {
          name: string;
          index: number | null;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["ExecCreate"];
        };
      };
      responses: {
        /** @description the process runs */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Exec"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/execs/{id}/output": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * An exec's output from its first byte, then its exit code (server-sent events)
     * @description Events `output` ({stream: stdout|stderr, data: base64}) in order, then one `exit` ({exit_code}), after which the stream ends. Closing the stream before the exit kills the process, and so does the token being revoked or expiring: a last event `error` (a 401 problem) then ends the stream.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description event stream */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "text/event-stream": string;
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/execs/{id}/stdin": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Write the body to the process's stdin; with eof=true, close stdin after it */
    post: {
      parameters: {
        query?: {
          eof?: "true" | "false";
        };
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          "application/octet-stream": string;
        };
      };
      responses: {
        /** @description done */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/execs/{id}/signal": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Signal the process: interrupt (SIGINT, as Ctrl-C), terminate (SIGTERM) or kill (SIGKILL) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            /** @enum {string} */
            signal: "interrupt" | "terminate" | "kill";
          };
        };
      };
      responses: {
        /** @description done */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/execs/{id}/resize": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Resize the process's terminal */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            columns: number;
            rows: number;
          };
        };
      };
      responses: {
        /** @description done */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells/tokens": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List unrevoked join tokens, never their secrets (operators) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of join tokens, oldest first */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["JoinTokenListing"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /**
     * Create a join token for new cells (operators)
     * @description Single-use unless `uses` says more; expires after an hour unless `expires_in_seconds` says otherwise. The secret is in this response only: a retry with the same Idempotency-Key gets a 409 `secret-shown-once`.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description retries with the same key replay the first response */
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody?: {
        content: {
          "application/json": {
            /**
             * @description seconds until the token stops working
             * @default 3600
             * @example 2592000
             */
            expires_in_seconds?: number;
            /**
             * @description how many cells may join
             * @default 1
             */
            uses?: number;
          };
        };
      };
      responses: {
        /** @description the token, shown once */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["JoinToken"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells/tokens/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Revoke a join token: no cell joins with it any more (operators) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description revoked */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List cells (operators) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of cells */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["Cell"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Show a cell (operators) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the cell */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Cell"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells/{id}/drain": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Drain a cell: no new placements, instances move elsewhere (operators) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the cell, draining */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Cell"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells/{id}/undrain": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Put a drained cell back in service; an active cell stays as it is (operators) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the cell, active */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Cell"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/cells/{id}/remove": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Remove a cell for good: it leaves scheduling at once (instances are replaced elsewhere) and its NATS user is revoked (operators) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the cell, lost */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Cell"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/policies": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The tenant's network policies, and other tenants' policies reaching its apps */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of policies */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["Policy"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Let one app's instances connect to a port (range) of another app's; all else between apps is denied */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreatePolicy"];
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Policy"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description conflict */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/policies/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove a network policy; new connections it allowed are refused */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description removed */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/egress-rules": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The tenant's egress rules and the platform default (operators without a tenant: the platform's) */
    get: {
      parameters: {
        query?: {
          /** @description items per page */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description a page of egress rules */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: components["schemas"]["EgressRule"][];
              next_cursor: string | null;
            };
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    /** Let the tenant's (or one space's) containers open connections to a destination; without rules they reach DNS alone */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["CreateEgressRule"];
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["EgressRule"];
          };
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/egress-rules/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove an egress rule; open connections it allowed are cut */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description removed */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid request */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description missing or unknown token */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description role not allowed */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        /** @description not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
};
export type webhooks = Record<string, never>;
export type components = {
  schemas: {
    Tenant: {
      id: string;
      name: string;
      created_at: string;
    };
    Problem: {
      type: string;
      title: string;
      status: number;
      detail: string;
      instance: string;
      request_id: string;
      errors?: {
        field: string;
        message: string;
      }[];
      /** @description for quota-exceeded: the limit, the usage and the amount asked */
      quota?: {
        /** @enum {string} */
        scope: "tenant" | "space";
        space?: string;
        field: string;
        limit: number;
        usage: number;
        asked: number;
      };
      entry?: string;
      limit?: {
        name: string;
        setting: string;
        max: number;
      };
      /** @description for volume-in-use: the apps mounting the volume and the instances holding it */
      used_by?: {
        apps: string[];
        instances: {
          app: string;
          index: number;
          id: string;
          state: string;
          cell: string | null;
        }[];
      };
    };
    Quota: {
      tenant: string;
      /** @description set for a space's quota */
      space?: string;
      /** @description total memory of started instances, MB */
      memory_mb: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description memory per instance, MB (usage: the largest in use) */
      instance_memory_mb: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description instances of started apps */
      instances: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description apps, started or stopped */
      apps: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description total disk of started instances, MB */
      disk_mb: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description routes: each app has its default route, started or stopped */
      routes: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description per instance, enforced by agents; usage not counted */
      log_lines_per_second: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description volumes, mounted or not */
      volumes: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      /** @description total size of the volumes, MB */
      volume_mb: {
        /** @description null = unlimited */
        limit: number | null;
        /** @description null when not counted */
        usage: number | null;
      };
      updated_at: string | null;
    };
    QuotaChanges: {
      /** @description total memory of started instances, MB */
      memory_mb?: number | null;
      /** @description memory per instance, MB */
      instance_memory_mb?: number | null;
      /** @description instances of started apps */
      instances?: number | null;
      /** @description apps, started or stopped */
      apps?: number | null;
      /** @description total disk of started instances, MB */
      disk_mb?: number | null;
      /** @description routes: each app has its default route, started or stopped */
      routes?: number | null;
      /** @description per instance; agents drop the excess (set when an instance starts) */
      log_lines_per_second?: number | null;
      /** @description volumes, mounted or not */
      volumes?: number | null;
      /** @description total size of the volumes, MB */
      volume_mb?: number | null;
    };
    Token: {
      id: string;
      name: string;
      /** @enum {string} */
      role: "operator" | "tenant_admin" | "developer";
      tenant: string | null;
      created_at: string;
      expires_at: string | null;
      /** @description shown once; only its hash is stored */
      token: string;
    };
    CreateToken: {
      /** @enum {string} */
      role: "operator" | "tenant_admin" | "developer";
      /**
       * @description required unless role is operator
       * @example acme
       */
      tenant?: string;
      /** @default  */
      name?: string;
      /**
       * @description omitted: never expires
       * @example 2592000
       */
      expires_in_seconds?: number;
    };
    TokenListing: {
      id: string;
      name: string;
      /** @enum {string} */
      role: "operator" | "tenant_admin" | "developer";
      tenant: string | null;
      created_at: string;
      expires_at: string | null;
      /** @description to the minute */
      last_used_at: string | null;
    };
    Space: {
      id: string;
      name: string;
      created_at: string;
    };
    SpaceRole: {
      token_id: string;
      token_name: string;
      /** @enum {string} */
      role: "developer" | "viewer";
      created_at: string;
    };
    SetSpaceRole: {
      /** @enum {string} */
      role: "developer" | "viewer";
    };
    App: {
      id: string;
      name: string;
      space: string;
      revision: number;
      /** @enum {string} */
      state: "started" | "stopped";
      stack: string;
      command: string;
      /** @description the app's environment; omitted for a viewer of the app's space (its values are secrets) */
      env?: {
        [key: string]: string;
      };
      instances: number;
      memory_mb: number;
      disk_mb: number;
      ports: number[];
      health_check: components["schemas"]["HealthCheck"];
      volumes: components["schemas"]["AppVolumeMount"][];
      bits_digest: string | null;
      image: components["schemas"]["AppImage"];
      created_at: string;
      updated_at: string;
    };
    HealthCheck:
      | {
          /** @enum {string} */
          type: "port";
          port?: number;
          timeout_ms?: number;
          start_interval_ms?: number;
          interval_ms?: number;
          start_timeout_ms?: number;
        }
      | {
          /** @enum {string} */
          type: "http";
          port?: number;
          path: string;
          timeout_ms?: number;
          start_interval_ms?: number;
          interval_ms?: number;
          start_timeout_ms?: number;
        }
      | {
          /** @enum {string} */
          type: "process";
          timeout_ms?: number;
          start_interval_ms?: number;
          interval_ms?: number;
          start_timeout_ms?: number;
        };
    AppVolumeMount: {
      name: string;
      path: string;
      read_only: boolean;
    };
    /** @description a docker app's image and the digest its revision runs */
    AppImage: {
      ref: string;
      digest: string;
      private: boolean;
    } | null;
    CreateApp: {
      /** @example web */
      name: string;
      /**
       * @description the space the app goes in
       * @default default
       * @example default
       */
      space?: string;
      /** @default busybox */
      stack?: string;
      /** @description required without `image`; with one, run through /bin/sh instead of its Entrypoint+Cmd */
      command?: string;
      image?: components["schemas"]["AppImageRef"];
      /** @default {} */
      env?: {
        [key: string]: string;
      };
      /** @default 1 */
      instances?: number;
      /** @default 256 */
      memory_mb?: number;
      /** @default 1024 */
      disk_mb?: number;
      /** @description default: an image's first exposed port, else 8080 */
      ports?: number[];
      health_check?: components["schemas"]["HealthCheck"];
      /**
       * @description volumes of the app's space every instance mounts (single-writer ones: one instance)
       * @default []
       */
      volumes?: components["schemas"]["VolumeMount"][];
    };
    /** @description resolved to a digest at every push; credentials are stored sealed and never shown */
    AppImageRef: {
      /**
       * @description host[:port]/repo[:tag|@sha256:…]
       * @example registry.local:5000/team/api:1.4
       */
      ref: string;
      username?: string;
      password?: string;
    };
    VolumeMount: {
      name: string;
      /** @example /data */
      path: string;
      /** @default false */
      read_only?: boolean;
    };
    AppListItem: components["schemas"]["App"] & {
      /** @description its instances RUNNING its current revision (what `instances` asks for, once converged) */
      running_instances: number;
    };
    UpdateApp: {
      stack?: string;
      command?: string;
      env?: {
        [key: string]: string;
      };
      instances?: number;
      memory_mb?: number;
      disk_mb?: number;
      ports?: number[];
      health_check?: components["schemas"]["HealthCheck"];
      /** @description volumes of the app's space every instance mounts (single-writer ones: one instance) */
      volumes?: components["schemas"]["VolumeMount"][];
      image?: components["schemas"]["AppImageRef"];
    };
    AppEvent: {
      id: number;
      kind: string;
      actor: string;
      data: {
        [key: string]: unknown;
      };
      at: string;
    };
    Volume: {
      name: string;
      space: string;
      size_mb: number;
      shared: boolean;
      /** @description the cell its data lives on; null until first mounted, and while its data is on its way */
      cell: string | null;
      /**
       * @description moving: its cell is draining; its instances stop, the data is copied to another cell and they start there. restoring: a snapshot is copied onto the cell its next instance lands on
       * @enum {string}
       */
      state: "ready" | "moving" | "restoring";
      /** @description why the last copy of its data failed (tried again) */
      reason: string | null;
      created_at: string;
    };
    CreateVolume: {
      /** @example uploads */
      name: string;
      /**
       * @description the space whose apps may mount it
       * @default default
       * @example default
       */
      space?: string;
      /**
       * @description size in MB, enforced by the kernel
       * @example 1024
       */
      size_mb: number;
      /**
       * @description several instances on its cell may mount it at once (default: one at a time)
       * @default false
       */
      shared?: boolean;
    };
    VolumeSnapshot: {
      name: string;
      volume: string;
      /** @description what it counts against the volume_mb quota: its volume's size */
      size_mb: number;
      /** @description the size of its archive in the object store */
      bytes: number;
      sha256: string;
      created_at: string;
    };
    CreateSnapshot: {
      /**
       * @description default: the time, e.g. 2026-12-06t11-59-42z
       * @example uploads
       */
      name?: string;
    };
    RestoreVolume: {
      /**
       * @description the snapshot of this volume to restore
       * @example uploads
       */
      snapshot: string;
    };
    BitsUpload: {
      digest: string;
      size_bytes: number;
      uploaded: boolean;
      app: components["schemas"]["App"];
    };
    Instance: {
      id: string;
      index: number;
      revision: number;
      /** @enum {string} */
      state: "UNPLACED" | "PLACED" | "STARTING" | "RUNNING" | "CRASHED" | "STOPPED";
      cell: {
        id: string;
        name: string;
      } | null;
      address: string | null;
      container_ip: string | null;
      ports: {
        container_port: number;
        host_port: number;
      }[];
      crash_count: number;
      reason: string | null;
      since: string;
      usage: components["schemas"]["InstanceUsage"];
      /** @description how far its cell's pull of a docker app's image was (bytes of the total, cached layers included) at the cell's last heartbeat; null unless it is starting and pulling */
      pull: {
        bytes: number;
        total: number;
      } | null;
    };
    /** @description what the instance uses, as its cell last reported; null unless starting or running */
    InstanceUsage: {
      /** @description over the cell's last sampling period; 100 = one core */
      cpu_percent: number;
      /** @description charged toward the memory limit (page cache it can drop excluded) */
      memory_bytes: number;
      memory_limit_bytes: number | null;
      /** @description written to the container's own filesystem */
      disk_bytes: number;
      disk_limit_bytes: number | null;
      /** @description by the log-rate limit since the instance started; null without a limit */
      log_lines_dropped: number | null;
      /** @description when the cell's heartbeat carrying it arrived */
      reported_at: string | null;
    } | null;
    Exec: {
      exec_id: string;
      instance_id: string;
    };
    ExecCreate: {
      /**
       * @example [
       *       "ls",
       *       "-l"
       *     ]
       */
      command: string[];
      /** @description run under a terminal of this size */
      tty?: {
        columns: number;
        rows: number;
      };
      env?: {
        [key: string]: string;
      };
    };
    JoinToken: components["schemas"]["JoinTokenListing"] & {
      /** @description shown once; only its hash is stored */
      token: string;
    };
    JoinTokenListing: {
      id: string;
      /** @enum {string} */
      state: "usable" | "used-up" | "expired";
      /** @description cells joined with it */
      uses: number;
      max_uses: number;
      created_at: string;
      expires_at: string;
    };
    Cell: {
      id: string;
      name: string;
      zone: string;
      address: string;
      /** @enum {string} */
      state: "active" | "draining" | "lost";
      capacity: {
        memory_mb: number;
        disk_mb: number;
        containers: number;
      };
      available: {
        memory_mb: number;
        disk_mb: number;
        containers: number;
      } | null;
      instances: number | null;
      /** @description volumes whose data is on the cell, as its last heartbeat said (a drain moves them) */
      volumes: number | null;
      tags: string[];
      stacks: string[];
      last_heartbeat_at: string | null;
      created_at: string;
      subnet_lease: {
        subnet: string;
        expires_at: string;
      } | null;
    };
    Policy: {
      id: string;
      source: {
        tenant: string;
        space: string;
        app: string;
      };
      destination: {
        tenant: string;
        space: string;
        app: string;
      };
      /** @enum {string} */
      protocol: "tcp" | "udp";
      ports: {
        start: number;
        end: number;
      };
      created_at: string;
    };
    CreatePolicy: {
      /**
       * @description the app that opens connections (of the acting tenant)
       * @example web
       */
      source: string;
      /**
       * @description the source app's space; without it, the one app of that name in the spaces you see
       * @example web
       */
      source_space?: string;
      /**
       * @description the app whose instances accept them
       * @example web
       */
      destination: string;
      /**
       * @description the destination app's space
       * @example web
       */
      destination_space?: string;
      /** @description the destination app's tenant; another tenant than the acting one needs an operator */
      destination_tenant?: string;
      /**
       * @default tcp
       * @enum {string}
       */
      protocol?: "tcp" | "udp";
      port: number;
      /** @description last port of a range starting at `port` */
      end_port?: number;
    };
    EgressRule: {
      id: string;
      /** @enum {string} */
      scope: "platform" | "tenant" | "space";
      tenant: string | null;
      space: string | null;
      destination: string;
      /** @enum {string} */
      protocol: "tcp" | "udp" | "icmp" | "all";
      ports: {
        start: number;
        end: number;
      } | null;
      control_plane: boolean;
      created_at: string;
    };
    CreateEgressRule: {
      /** @description IPv4 network a.b.c.d/n (or one address) */
      destination: string;
      /**
       * @default tcp
       * @enum {string}
       */
      protocol?: "tcp" | "udp" | "icmp" | "all";
      /** @description tcp/udp only; absent: every port */
      port?: number;
      /** @description last port of a range starting at `port` */
      end_port?: number;
      /** @description only this space's apps */
      space?: string;
      /**
       * @description operators: the platform default, for every container of every tenant
       * @default false
       */
      platform?: boolean;
      /**
       * @description operators, platform rules: let containers reach the control plane's services there
       * @default false
       */
      control_plane?: boolean;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
};
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
