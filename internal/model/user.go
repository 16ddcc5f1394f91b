package model

import "time"

// Role is what a user does in the loop (DOMAIN.md "Who uses it").
type Role string

const (
	RoleCitizen    Role = "citizen"     // 群众
	RoleOperator   Role = "operator"    // 12345 坐席/受理员
	RoleGridWorker Role = "grid_worker" // 网格员
	RoleSupervisor Role = "supervisor"  // 监督中心
	RoleDispatcher Role = "dispatcher"  // 指挥中心
	RoleUnit       Role = "unit"        // 承办单位
	RoleDiscipline Role = "discipline"  // 纪委监委 / 整治办
	RoleLeader     Role = "leader"      // 领导
	RoleAdmin      Role = "admin"       // 管理员
)

// Roles lists every role, in the order pages show them.
var Roles = []Role{RoleCitizen, RoleOperator, RoleGridWorker, RoleSupervisor, RoleDispatcher, RoleUnit, RoleDiscipline, RoleLeader, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// User is a staff account. OrgID is the user's scope: the unit a handling
// unit's user belongs to, the grid of a grid worker, the district for
// centre staff.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         Role      `json:"role"`
	OrgID        int64     `json:"org_id"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// TOTPSecret is the second factor's secret ("" when not enrolled);
	// TOTPLastStep the last time step a code was accepted for.
	TOTPSecret   string `json:"-"`
	TOTPLastStep int64  `json:"-"`
}

// Session is a login token's server side. Only the token's hash is stored.
type Session struct {
	TokenHash string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}
