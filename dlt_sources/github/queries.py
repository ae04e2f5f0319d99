"""GraphQL text for the `github_reactions` source.

Both queries take ``$owner $name $first $after`` for paging and ``$nested`` /
``$commentReactions`` for how many comments and reactions come with each item.
"""

__all__ = ["ISSUES_QUERY", "PULL_REQUESTS_QUERY"]

_REACTION_FIELDS = "totalCount nodes { id content createdAt user { login } }"

_AUTHOR_FIELDS = "author { login avatarUrl url }"

_ITEM_FIELDS = f"""
        id
        number
        url
        title
        body
        state
        createdAt
        updatedAt
        closedAt
        authorAssociation
        {_AUTHOR_FIELDS}
        reactions(first: $nested) {{ {_REACTION_FIELDS} }}
        comments(first: $nested) {{
          totalCount
          nodes {{
            id
            url
            body
            createdAt
            updatedAt
            authorAssociation
            {_AUTHOR_FIELDS}
            reactions(first: $commentReactions) {{ {_REACTION_FIELDS} }}
          }}
        }}"""

_VARIABLES = (
    "$owner: String!, $name: String!, $first: Int!, $after: String, "
    "$nested: Int!, $commentReactions: Int!"
)

ISSUES_QUERY = f"""
query Issues({_VARIABLES}) {{
  repository(owner: $owner, name: $name) {{
    issues(first: $first, after: $after, orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{{_ITEM_FIELDS}
      }}
    }}
  }}
}}
"""

PULL_REQUESTS_QUERY = f"""
query PullRequests({_VARIABLES}) {{
  repository(owner: $owner, name: $name) {{
    pullRequests(first: $first, after: $after, orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{{_ITEM_FIELDS}
        isDraft
        merged
        mergedAt
        additions
        deletions
        changedFiles
      }}
    }}
  }}
}}
"""
