package open311

import (
	"context"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

func vals(pairs ...string) []store.AttributeValue {
	out := make([]store.AttributeValue, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, store.AttributeValue{Key: pairs[i], Name: pairs[i+1]})
	}
	return out
}

// demoAttributes are the extra fields of a few demo categories, by code,
// so that the demo's service definitions show every Open311 datatype.
var demoAttributes = map[string][]store.ServiceAttribute{
	"E0405": { // 井盖缺失
		{Code: "NOTICE", Datatype: "text", Variable: false, Order: 1, DatatypeDescription: "说明",
			Description: "井盖缺失属紧急事项，2小时内处置；如已有人员受伤请先拨打 120。"},
		{Code: "COVER_KIND", Datatype: "singlevaluelist", Variable: true, Required: true, Order: 2, DatatypeDescription: "单选",
			Description: "缺失的是哪类井盖？", Values: vals("WATER", "上水井盖", "SEWER", "污水井盖", "STORM", "雨水井盖", "TELECOM", "电力通信井盖", "UNKNOWN", "不清楚")},
		{Code: "INJURY", Datatype: "singlevaluelist", Variable: true, Required: true, Order: 3, DatatypeDescription: "是/否",
			Description: "是否已有行人或车辆受损？", Values: vals("NO", "否", "YES", "是")},
		{Code: "LANDMARK", Datatype: "string", Variable: true, Order: 4, DatatypeDescription: "不超过200字",
			Description: "附近标志物（门牌号、店铺名等）"},
	},
	"0105": { // 路灯
		{Code: "POLE_NO", Datatype: "string", Variable: true, Order: 1, DatatypeDescription: "灯杆上的编号",
			Description: "灯杆编号"},
		{Code: "FAULT", Datatype: "singlevaluelist", Variable: true, Required: true, Order: 2, DatatypeDescription: "单选",
			Description: "故障情况", Values: vals("DARK", "不亮", "DAYLIT", "白天常亮", "FLICKER", "闪烁", "LEANING", "灯杆倾斜", "DAMAGED", "灯具破损")},
		{Code: "LAMPS", Datatype: "number", Variable: true, Order: 3, DatatypeDescription: "整数",
			Description: "故障路灯盏数"},
		{Code: "SINCE", Datatype: "datetime", Variable: true, Order: 4, DatatypeDescription: "如 2026-05-01T20:00:00+08:00",
			Description: "最早发现时间"},
	},
	"E0505": { // 机动车乱停放
		{Code: "PLATE", Datatype: "string", Variable: true, Order: 1, DatatypeDescription: "如 湘K12345",
			Description: "车牌号"},
		{Code: "BLOCKING", Datatype: "multivaluelist", Variable: true, Required: true, Order: 2, DatatypeDescription: "可多选",
			Description: "占用了哪里？", Values: vals("SIDEWALK", "人行道", "TACTILE", "盲道", "FIRE_LANE", "消防通道", "ROADWAY", "车行道", "ENTRANCE", "出入口")},
		{Code: "VEHICLES", Datatype: "number", Variable: true, Order: 3, DatatypeDescription: "整数",
			Description: "车辆数"},
		{Code: "SEEN_AT", Datatype: "datetime", Variable: true, Order: 4, DatatypeDescription: "如 2026-05-01T08:30:00+08:00",
			Description: "看到的时间"},
	},
	"E0301": { // 施工扰民
		{Code: "PERIOD", Datatype: "multivaluelist", Variable: true, Required: true, Order: 1, DatatypeDescription: "可多选",
			Description: "扰民时段", Values: vals("EARLY", "早6点前", "NOON", "午间12至14点", "NIGHT", "夜间22点后", "ALLDAY", "全天")},
		{Code: "SITE", Datatype: "string", Variable: true, Order: 2, DatatypeDescription: "不超过200字",
			Description: "工地名称或施工单位"},
		{Code: "DETAILS", Datatype: "text", Variable: true, Order: 3, DatatypeDescription: "不超过4000字",
			Description: "噪声来源（打桩、切割、运输车辆等）"},
	},
}

// SeedDemo gives a few demo categories their extra fields, once: it does
// nothing when any category already has attributes or the codes are absent.
func SeedDemo(ctx context.Context, svc *service.Service) error {
	all, err := svc.Open311Services(ctx)
	if err != nil {
		return err
	}
	for _, s := range all {
		if len(s.Attributes) > 0 {
			return nil
		}
	}
	ref := svc.Ref()
	for code, attrs := range demoAttributes {
		cat, ok := ref.ByCode[code]
		if !ok {
			continue
		}
		if err := svc.PutServiceAttributes(ctx, store.ServiceMeta{CategoryID: cat.ID}, attrs); err != nil {
			return err
		}
	}
	return nil
}
