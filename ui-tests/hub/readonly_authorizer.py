"""A Jupyter Authorizer for the UI tests: carol may read files but not write them.

jupyterhub-singleuser authenticates Hub users with its IdentityProvider; this Authorizer
subclasses JupyterHub's (which checks the user's ``access:servers`` scopes) and refuses one
thing more, ``write`` on ``contents`` for the users in ``READ_ONLY_USERS``. mlinfn_lab asks the
Authorizer for each resource and action when it issues a ticket, so carol's ticket carries
``contents: ["read"]`` and the bridge's room gives her a read-only connection.
"""

from jupyterhub.singleuser.extension import JupyterHubAuthorizer

READ_ONLY_USERS = frozenset({"carol"})


class ReadOnlyAuthorizer(JupyterHubAuthorizer):
    """JupyterHub's Authorizer, with ``contents`` read-only for ``READ_ONLY_USERS``."""

    def is_authorized(self, handler, user, action, resource):
        if resource == "contents" and action == "write" and user.username in READ_ONLY_USERS:
            return False
        return super().is_authorized(handler, user, action, resource)
