from rest_framework.permissions import SAFE_METHODS, BasePermission


class TenantRolePermission(BasePermission):
    """Viewers read; members write; admins and owners also run the view's `manager_actions`.

    A view lists its admin/owner-only actions in `manager_actions` (deletes by default), and
    the actions whose POST only reads (a label sheet's list of spools) in `read_actions`.
    """

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        if request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ()):
            return True
        if not membership.can_write:
            self.message = "Your role (viewer) may only read."
            return False
        if getattr(view, "action", None) in getattr(view, "manager_actions", ()) and not membership.can_manage:
            self.message = f"Only admins and owners may do this; your role is {membership.role}."
            return False
        return True
