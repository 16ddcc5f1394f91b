package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// DefinitionError is a refused case-type definition: every problem found,
// as message catalogue keys with their arguments (the API words them in the
// request's language).
type DefinitionError struct {
	Problems []workflow.Problem
}

func (e *DefinitionError) Error() string {
	return fmt.Sprintf("invalid workflow definition: %v", e.Messages())
}

// Messages returns the problems in English.
func (e *DefinitionError) Messages() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

func definitionError(key string, args ...any) *DefinitionError {
	return &DefinitionError{Problems: []workflow.Problem{{Key: key, Args: args}}}
}

// loadStoredWorkflows registers the definitions administrators added. A
// stored version that clashes with an embedded one of other content is
// skipped with a warning: cases made with the stored one keep working only
// if it stays, so an operator must resolve it, but the system still starts.
func (s *Service) loadStoredWorkflows(ctx context.Context) error {
	stored, err := s.store.WorkflowDefinitions(ctx)
	if err != nil {
		return err
	}
	for _, sd := range stored {
		d, err := workflow.Parse(sd.Definition)
		if err != nil {
			return fmt.Errorf("stored workflow %s v%d: %w", sd.Type, sd.Version, err)
		}
		if err := s.workflows.Add(d); err != nil {
			if errors.Is(err, workflow.ErrVersionTaken) {
				s.log.Error("stored workflow clashes with a built-in one; the built-in one is used", "type", sd.Type, "version", sd.Version)
				continue
			}
			return err
		}
	}
	return nil
}

// AddWorkflow checks a definition an administrator sends and makes it the
// newest version of its type (a new type starts at 1). Without a version
// it gets the next one; with one it must be above the newest. Cases already
// open keep the version they started with.
func (s *Service) AddWorkflow(ctx context.Context, actor model.User, data []byte) (*workflow.Definition, error) {
	if actor.Role != model.RoleAdmin {
		return nil, ErrForbidden
	}
	var d workflow.Definition
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, definitionError(workflow.ProblemNotDocument, err.Error())
	}
	if dec.More() {
		return nil, definitionError(workflow.ProblemTrailingData)
	}
	s.eng.adminMu.Lock()
	defer s.eng.adminMu.Unlock()
	latest := 0
	if cur, ok := s.workflows.Latest(d.Type); ok {
		latest = cur.Version
	}
	if d.Version == 0 {
		d.Version = latest + 1
	}
	var problems []workflow.Problem
	if d.Version <= latest {
		problems = append(problems, workflow.Problem{Key: workflow.ProblemVersionNotAbove, Args: []any{d.Version, latest, d.Type}})
	}
	if err := d.Check(); err != nil {
		problems = append(problems, workflow.Problems(err)...)
	}
	if len(problems) > 0 {
		return nil, &DefinitionError{Problems: problems}
	}
	canonical, err := json.Marshal(&d)
	if err != nil {
		return nil, err
	}
	err = s.store.PutWorkflowDefinition(ctx, store.StoredDefinition{Type: d.Type, Version: d.Version, Definition: canonical, CreatedBy: actor.ID, CreatedAt: s.now()})
	if errors.Is(err, store.ErrConflict) {
		return nil, definitionError(workflow.ProblemAlreadyStored, d.Type, d.Version)
	}
	if err != nil {
		return nil, err
	}
	if err := s.workflows.Add(&d); err != nil {
		return nil, err
	}
	s.log.Info("workflow definition added", "type", d.Type, "version", d.Version, "by", actor.Username)
	return &d, nil
}
