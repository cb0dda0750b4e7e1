"""The GraphQL API (strawberry on starlette): how portals, provider systems and assurance teams use carerecord."""
